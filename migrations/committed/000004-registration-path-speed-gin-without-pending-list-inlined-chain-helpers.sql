--! Previous: sha1:c55abdc39be30748c42439b0e173b40d43f83983
--! Hash: sha1:a030bdf608ca596e0944810e9dda923f698a0467
--! Message: registration path speed: GIN without pending list, inlined chain helpers

-- Speed on the registration path.
--
-- Every registration searches the GIN index of active keys; with fastupdate,
-- recent inserts wait in a pending list that every search reads through, so
-- the search slows down with each registration until a vacuum. Without it,
-- an insert goes straight into the index: a little more work per insert, and
-- every search stays one index descent.
ALTER INDEX :PGGIT_SCHEMA.tb_pggit_intent_active_keys_idx SET (fastupdate = off);

-- The hash-chain helpers are inlined into the statements that call them
-- (the chain triggers and pggit_verify, which pin search_path themselves):
-- a SET clause forbids that, and so does an IMMUTABLE label on a body that
-- is only STABLE (jsonb_build_array, to_char and convert_to are). They are plain
-- expressions over pg_catalog functions, and PUBLIC cannot execute them.
ALTER FUNCTION :PGGIT_SCHEMA.utc_text(timestamptz) STABLE RESET search_path;
ALTER FUNCTION :PGGIT_SCHEMA.chain_hash(text, jsonb) STABLE RESET search_path;
ALTER FUNCTION :PGGIT_SCHEMA.intent_anchor(:PGGIT_SCHEMA.tb_pggit_intent) STABLE RESET search_path;
ALTER FUNCTION :PGGIT_SCHEMA.history_content(:PGGIT_SCHEMA.tb_pggit_intent_history) STABLE RESET search_path;
ALTER FUNCTION :PGGIT_SCHEMA.conflict_anchor(:PGGIT_SCHEMA.tb_pggit_conflict) STABLE RESET search_path;
ALTER FUNCTION :PGGIT_SCHEMA.event_content(:PGGIT_SCHEMA.tb_pggit_conflict_event) STABLE RESET search_path;
