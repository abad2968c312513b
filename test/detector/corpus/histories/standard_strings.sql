-- @oracle: none (libpg-query reads every literal with standard_conforming_strings on)
-- A dump in the style of pg_dump 8.x and 9.0, which began with
-- standard_conforming_strings off: a backslash in a '...' literal is then an
-- escape, as in E'...', so \' is a quote inside the literal, and a semicolon
-- after it is no end of a statement. Then the setting changes as PostgreSQL
-- scopes it: SET LOCAL until COMMIT, RESET, set_config, ROLLBACK.
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = off;
SET check_function_bodies = false;
SET client_min_messages = warning;
SET escape_string_warning = off;

SET search_path = public, pg_catalog;

CREATE TABLE accounts (
    id integer NOT NULL,
    name character varying(100) DEFAULT 'O\'Brien; the first' NOT NULL,
    note text DEFAULT 'a\\b'
);

COMMENT ON TABLE accounts IS 'Bob\'s accounts; one per customer';
COMMENT ON COLUMN accounts.note IS 'C:\\path\\to; a note';

CREATE FUNCTION greet(text) RETURNS text
    LANGUAGE sql
    AS 'SELECT \'Hello; \' || $1';

CREATE VIEW accounts_named AS
    SELECT id, name FROM accounts WHERE name <> 'x\'y; z';

ALTER TABLE ONLY accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);

CREATE INDEX accounts_name_idx ON accounts USING btree (name);

-- on for one transaction only: a backslash is itself again
BEGIN;
SET LOCAL standard_conforming_strings = on;
CREATE TABLE paths (p text DEFAULT 'C:\');
COMMIT;

-- off again after COMMIT
CREATE TABLE quotes (q text DEFAULT 'it\'s; one literal');

RESET standard_conforming_strings;
CREATE TABLE windows (p text DEFAULT 'D:\');

SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);
CREATE TABLE again (q text DEFAULT 'don\'t; split');

-- a ROLLBACK undoes the SET made in its transaction: still off after it
BEGIN;
SET standard_conforming_strings = on;
ROLLBACK;
ALTER TABLE again ADD COLUMN r text DEFAULT 'still\'; off';

SET standard_conforming_strings TO DEFAULT;
ALTER TABLE windows ADD COLUMN q text DEFAULT 'E:\';
