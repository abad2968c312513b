/** The SQLSTATEs the README ("Errors") documents for pggit's SQL functions. */
export const DOCUMENTED = new Set([
  '22023', // a bad argument
  'P0002', // no such intent or conflict
  '55000', // the lifecycle forbids it
  '42501', // identity or privilege
  '25000', // registration outside READ COMMITTED
  '22021', // a NUL byte in text (PostgreSQL refuses it before pggit runs)
  '22P02', // a value PostgreSQL cannot read as its type (bad jsonb, bad integer)
  '22003', // a number out of the argument's range
  '22P05', // a \u0000 escape in JSON (PostgreSQL's jsonb refuses it)
  '54001', // an input beyond PostgreSQL's own limits (jsonb nested too deep for its stack)
  '22007', // a value PostgreSQL cannot read as a date or time
]);
