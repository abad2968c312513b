--
-- PostgreSQL database dump
--

\restrict abc123
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE SCHEMA IF NOT EXISTS billing;

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying DEFAULT ''::character varying NOT NULL,
    encrypted_password character varying DEFAULT ''::character varying NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

ALTER TABLE public.users OWNER TO rails;

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX index_users_on_email ON public.users USING btree (email);

CREATE TABLE billing.invoices (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    total_cents integer DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY billing.invoices
    ADD CONSTRAINT invoices_pkey PRIMARY KEY (id);

ALTER TABLE ONLY billing.invoices
    ADD CONSTRAINT fk_rails_3d1522a0d8 FOREIGN KEY (user_id) REFERENCES public.users(id);

CREATE INDEX index_invoices_on_user_id ON billing.invoices USING btree (user_id);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE VIEW billing.invoice_totals AS
 SELECT u.email,
    sum(i.total_cents) AS total_cents
   FROM (public.users u
     JOIN billing.invoices i ON ((i.user_id = u.id)))
  GROUP BY u.email;

CREATE MATERIALIZED VIEW public.daily_signups AS
 SELECT (date_trunc('day'::text, users.created_at))::date AS day,
    count(*) AS signups
   FROM public.users
  GROUP BY ((date_trunc('day'::text, users.created_at))::date)
  WITH NO DATA;

GRANT SELECT ON TABLE public.users TO readonly;

REVOKE ALL ON TABLE billing.invoices FROM PUBLIC;

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;

CREATE POLICY users_self ON public.users FOR SELECT USING ((id = (current_setting('app.user_id'::text))::bigint));

CREATE DOMAIN public.email_address AS text CHECK (VALUE ~ '^[^@]+@[^@]+$');

CREATE TYPE public.invoice_status AS ENUM (
    'draft',
    'open',
    'paid'
);

ALTER TYPE public.invoice_status RENAME VALUE 'open' TO 'issued';

COMMENT ON TABLE public.users IS 'Application users';

COMMENT ON COLUMN public.users.email IS 'Login; unique';

CREATE FUNCTION public.total_for(p_user bigint, OUT total bigint) RETURNS bigint
    LANGUAGE sql STABLE
    BEGIN ATOMIC
     SELECT COALESCE(sum(invoices.total_cents), (0)::bigint) AS "coalesce"
        FROM billing.invoices
       WHERE (invoices.user_id = total_for.p_user);
    END;

INSERT INTO public.schema_migrations (version) VALUES ('20260101000000');

UPDATE public.users SET email = lower(email) WHERE email <> lower(email);

DELETE FROM public.users u USING billing.invoices i WHERE i.user_id = u.id AND i.total_cents < 0;

CREATE PUBLICATION app_pub FOR TABLE public.users;

CREATE ROLE reporting;

VACUUM ANALYZE public.users;

DROP SCHEMA IF EXISTS legacy CASCADE;

ALTER TABLE public.users RENAME TO accounts;

ALTER TABLE public.accounts SET SCHEMA billing;

DROP FUNCTION IF EXISTS public.total_for(bigint);

ALTER FUNCTION public.set_updated_at() RENAME TO touch_updated_at;
--
-- PostgreSQL database dump complete
--

\unrestrict abc123
