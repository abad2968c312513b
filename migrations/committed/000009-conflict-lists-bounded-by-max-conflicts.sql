--! Previous: sha1:155ec0f5ceae4c38c029d31a4bb144e079a9de78
--! Hash: sha1:a88520b9d258e4bf1ce94d4149041177499f1753
--! Message: conflict lists bounded by max_conflicts

-- pggit_register and pggit_check take max_conflicts: their results list at
-- most that many conflicts (errors first) and count the rest. A function
-- with one more argument is another function, so the old signatures go
-- (the generated functions create the new ones; no trigger calls these).
DROP FUNCTION IF EXISTS :PGGIT_API_SCHEMA.pggit_register(text, text, text, text[], integer, text, jsonb, integer);
DROP FUNCTION IF EXISTS :PGGIT_SCHEMA.register(text, text, text, text[], integer, text, text, integer);
DROP FUNCTION IF EXISTS :PGGIT_API_SCHEMA.pggit_check(text, text, text, text[]);
DROP FUNCTION IF EXISTS :PGGIT_SCHEMA.check(text, text, text, text[]);
