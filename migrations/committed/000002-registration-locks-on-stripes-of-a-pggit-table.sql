--! Previous: sha1:04f5b992807986841ff0c8aa16139ed6bebc7f47
--! Hash: sha1:9f81eb57e40c8e19e7ca6db9e85a6bcfb59de7ee
--! Message: registration locks on stripes of a pggit table

-- Registrations serialise on row locks of this table instead of advisory
-- locks: a conflict key hashes to one of 4096 stripes, and a registration
-- locks its keys' stripes (FOR UPDATE, in stripe order) before it reads the
-- active intents. Row locks take no slot in the shared lock table, so no
-- input can exhaust it (one lock per key could: DROP TABLE t0, ..., t39999),
-- and only pggit's own functions can take them: no role outside pggit can
-- block or watch registrations the way pg_advisory_lock(...) could.
CREATE TABLE :PGGIT_SCHEMA.tb_pggit_lock (
  stripe integer PRIMARY KEY CHECK (stripe >= 0 AND stripe < 4096)
);
INSERT INTO :PGGIT_SCHEMA.tb_pggit_lock (stripe) SELECT g FROM generate_series(0, 4095) g;
REVOKE ALL ON :PGGIT_SCHEMA.tb_pggit_lock FROM PUBLIC;
