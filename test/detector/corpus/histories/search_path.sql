-- The search path as migrations and dumps set it, and where each name lands:
-- pg_dump's empty path (and the function bodies written under it), a hardened
-- path that puts pg_catalog first, SET LOCAL and set_config(..., true) inside
-- a transaction, a SET undone by ROLLBACK or ROLLBACK TO SAVEPOINT, RESET
-- and SET SCHEMA.

CREATE SCHEMA app;

CREATE TABLE counters (id integer PRIMARY KEY, n integer NOT NULL DEFAULT 0);

CREATE FUNCTION snapshot_of(j jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT j $$;

-- a function's own path: pg_catalog first, then public
CREATE FUNCTION public.total() RETURNS bigint LANGUAGE sql
    SET search_path = pg_catalog, public
    AS $$ SELECT sum(n) FROM counters $$;

-- pg_dump and Rails structure.sql: an empty path for the rest of the script
SELECT pg_catalog.set_config('search_path', '', false);

-- the body runs with its caller's path, not the dump's: counters and
-- snapshot_of are public's
CREATE FUNCTION public.bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE counters SET n = n + 1 WHERE id = 0;
  NEW.n := (snapshot_of(to_jsonb(NEW.*)) ->> 'n')::integer;
  RETURN NEW;
END $$;

CREATE TRIGGER bump BEFORE UPDATE ON public.counters
    FOR EACH ROW EXECUTE FUNCTION public.bump();

-- a hardened path: pg_catalog searched first, public next
BEGIN;
SET LOCAL search_path = pg_catalog, public, pg_temp;
CREATE INDEX counters_n_idx ON counters (n);
CREATE TABLE public.audit (id integer REFERENCES counters (id));
COMMIT;

SET search_path TO app;

-- SET LOCAL lasts until the transaction ends
BEGIN;
SET LOCAL search_path TO public;
CREATE TABLE local_only (id integer);
COMMIT;
CREATE TABLE users (id integer);

-- so does set_config(..., true)
BEGIN;
SELECT set_config('search_path', 'public', true);
CREATE TABLE config_local (id integer);
END;
CREATE TABLE accounts (id integer);

-- a SET in a transaction that rolls back is undone
BEGIN;
SET search_path TO public;
ROLLBACK;
CREATE TABLE sessions (id integer);

-- and so is one rolled back to a savepoint
BEGIN;
SAVEPOINT before_set;
SET search_path TO public;
ROLLBACK TO SAVEPOINT before_set;
CREATE TABLE after_savepoint (id integer);
RELEASE SAVEPOINT before_set;
COMMIT;

-- a SET in a transaction that commits stays
BEGIN;
SET search_path TO public;
COMMIT;
CREATE TABLE committed_set (id integer);

-- RESET goes back to the default path ("$user", public)
SET search_path TO app;
RESET search_path;
CREATE TABLE after_reset (id integer);

-- SET SCHEMA is SET search_path TO with one schema
SET SCHEMA 'app';
CREATE TABLE schema_alias (id integer);

SET search_path TO DEFAULT;
CREATE TABLE back_home (id integer REFERENCES counters (id));
