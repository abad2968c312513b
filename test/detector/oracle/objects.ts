/**
 * TEST-ONLY oracle: derives the object set of a statement from PostgreSQL's real
 * parse tree (libpg-query), independently of the detector's token parser. It
 * implements the object model documented in src/detector (kinds, actions,
 * qualified names, derived names for unnamed constraints and indexes,
 * signatures) straight from the AST.
 */
import { loadModule, parseSync } from 'libpg-query';

export { loadModule };

export interface OracleObject {
  kind: string;
  action: string;
  qualified: string;
  signature?: string;
  /** Plain index key columns (only when every key is a plain column without options). */
  columns?: string[];
}

export interface OracleResult {
  /** The statement kinds the detector analyses produce objects; others are `unsupported`. */
  supported: boolean;
  objects: OracleObject[];
}

// biome-ignore lint/suspicious/noExplicitAny: AST nodes are untyped JSON here
type Node = any;

const QUOTED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc ' +
    'distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral ' +
    'leading limit localtime localtimestamp not null offset on only or order placing primary references returning ' +
    'select session_user some symmetric system_user table then to trailing true union unique user using variadic when ' +
    'where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is ' +
    'isnull join left like natural notnull outer overlaps right similar tablesample verbose between bigint bit boolean ' +
    'char character coalesce dec decimal exists extract float greatest grouping inout int integer interval json ' +
    'json_array json_arrayagg json_exists json_object json_objectagg json_query json_scalar json_serialize json_table ' +
    'json_value least merge_action national nchar none normalize nullif numeric out overlay position precision real ' +
    'row setof smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement ' +
    'xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

export function qi(s: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(s) && !QUOTED.has(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

function q(...parts: string[]): string {
  return parts.map(qi).join('.');
}

/** Truncation to 63 bytes of UTF-8, on a character boundary. */
function trunc(s: string): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= 63) return s;
  let out = '';
  for (const ch of s) {
    if (enc.encode(out + ch).length > 63) break;
    out += ch;
  }
  return out;
}

const PG_TYPES: Record<string, string> = {
  int4: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  float8: 'double precision',
  float4: 'real',
  varchar: 'character varying',
  bpchar: 'character',
  bool: 'boolean',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  numeric: 'numeric',
  varbit: 'bit varying',
  bit: 'bit',
  interval: 'interval',
  json: 'json',
};
const USER_SYNONYMS: Record<string, string> = {
  ...PG_TYPES,
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallserial: 'smallint',
  serial2: 'smallint',
};

const str = (n: Node): string => n?.String?.sval ?? '';

/** Built-in type names: a column of any other type references it. */
const BUILTIN = new Set(
  (
    'bool boolean bytea char name int8 bigint int2 smallint int4 int integer text oid json xml point lseg path box ' +
    'polygon line float4 real float8 float double money macaddr macaddr8 inet cidr bpchar varchar character date ' +
    'time timestamp timestamptz interval timetz bit varbit numeric decimal dec uuid jsonb jsonpath tsvector tsquery ' +
    'regclass regtype regproc regprocedure regoper regoperator regconfig regdictionary regnamespace regrole ' +
    'regcollation pg_lsn txid_snapshot pg_snapshot int4range int8range numrange tsrange tstzrange daterange ' +
    'int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange record void trigger ' +
    'event_trigger anyelement anyarray anynonarray anyenum anyrange anymultirange anycompatible anycompatiblearray ' +
    'cstring internal serial serial4 bigserial serial8 smallserial serial2 xid xid8 cid tid refcursor aclitem'
  ).split(' '),
);

function typeName(t: Node, schema: string): string {
  const names: string[] = (t.names ?? []).map(str);
  let base: string;
  if (t.pct_type) base = `${q(...names)}%type`;
  else if (names.length === 2 && names[0] === 'pg_catalog') {
    const n = names[1] as string;
    base = PG_TYPES[n] ?? qi(n);
  } else if (names.length === 1) {
    const n = names[0] as string;
    base = Object.hasOwn(USER_SYNONYMS, n) ? (USER_SYNONYMS[n] as string) : qi(n);
  } else {
    const s = names[names.length - 2] as string;
    const n = names[names.length - 1] as string;
    base = s === schema ? qi(n) : q(s, n);
  }
  return t.arrayBounds && t.arrayBounds.length > 0 ? `${base}[]` : base;
}

function signatureOf(params: Node[] | undefined, schema: string): string {
  const out: string[] = [];
  for (const p of params ?? []) {
    const fp = p.FunctionParameter;
    if (!fp) continue;
    if (fp.mode === 'FUNC_PARAM_OUT' || fp.mode === 'FUNC_PARAM_TABLE') continue;
    out.push(typeName(fp.argType, schema));
  }
  return out.join(',');
}

class Collector {
  objects: OracleObject[] = [];
  supported = true;
  ctes = new Set<string>();
  constructor(public schema: string) {}

  rel(kind: string, action: string, rv: Node, tempSchema = false): [string, string] {
    const schema =
      rv.schemaname ?? (tempSchema || rv.relpersistence === 't' ? 'pg_temp' : this.schema);
    this.objects.push({ kind, action, qualified: q(schema, rv.relname) });
    return [schema, rv.relname];
  }
  names(kind: string, action: string, names: string[]): [string, string] {
    const n = names.length;
    const schema = n >= 2 ? (names[n - 2] as string) : this.schema;
    const name = names[n - 1] as string;
    this.objects.push({ kind, action, qualified: q(schema, name) });
    return [schema, name];
  }
  scoped(kind: string, action: string, table: [string, string], name: string): undefined {
    this.objects.push({ kind, action, qualified: q(table[0], table[1], name) });
  }
  fn(action: string, names: string[], signature?: string): undefined {
    const n = names.length;
    const schema = n >= 2 ? (names[n - 2] as string) : this.schema;
    const o: OracleObject = {
      kind: 'function',
      action,
      qualified: q(schema, names[n - 1] as string),
    };
    if (signature !== undefined) o.signature = signature;
    this.objects.push(o);
  }
  owa(action: string, owa: Node): undefined {
    const names = (owa.objname ?? []).map(str);
    const sig = owa.args_unspecified ? undefined : signatureOf(owa.objfuncargs, this.schema);
    this.fn(action, names, sig);
  }
  global(kind: string, action: string, name: string): undefined {
    this.objects.push({ kind, action, qualified: qi(name) });
  }
  renamePair(kind: string, oldQ: string, newQ: string): undefined {
    this.objects.push(
      { kind, action: 'rename', qualified: oldQ },
      { kind, action: 'rename', qualified: newQ },
    );
  }

  /** Every RangeVar under `node` is a table reference (CTE names excluded). */
  refs(node: Node): undefined {
    const walk = (n: Node) => {
      if (Array.isArray(n)) {
        for (const x of n) walk(x);
        return;
      }
      if (!n || typeof n !== 'object') return;
      for (const dml of ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']) {
        const rv = n[dml]?.relation;
        if (rv && !(rv.schemaname === undefined && this.ctes.has(rv.relname)))
          this.rel('table', 'reference', rv);
      }
      if (n.RangeVar) {
        const rv = n.RangeVar;
        if (!(rv.schemaname === undefined && this.ctes.has(rv.relname)))
          this.rel('table', 'reference', rv);
        return;
      }
      for (const k of Object.keys(n)) walk(n[k]);
    };
    walk(node);
  }

  constraint(table: [string, string], c: Node, action: string, column?: string): undefined {
    const t = table[1];
    let name: string | undefined = c.conname;
    switch (c.contype) {
      case 'CONSTR_PRIMARY': {
        const keys = (c.keys ?? []).map(str);
        name ??= trunc(`${t}_pkey`);
        this.scoped('constraint', action, table, name);
        for (const k of keys) this.scoped('column', 'reference', table, k);
        return;
      }
      case 'CONSTR_UNIQUE': {
        const keys = (c.keys ?? []).map(str);
        name ??= trunc([t, ...(column !== undefined ? [column] : keys), 'key'].join('_'));
        this.scoped('constraint', action, table, name);
        for (const k of keys) this.scoped('column', 'reference', table, k);
        return;
      }
      case 'CONSTR_CHECK':
        name ??= trunc(column !== undefined ? `${t}_${column}_check` : `${t}_check`);
        this.scoped('constraint', action, table, name);
        return;
      case 'CONSTR_EXCLUSION':
        name ??= trunc(`${t}_excl`);
        this.scoped('constraint', action, table, name);
        return;
      case 'CONSTR_FOREIGN': {
        const fk = (c.fk_attrs ?? []).map(str);
        name ??= trunc([t, ...(column !== undefined ? [column] : fk), 'fkey'].join('_'));
        this.scoped('constraint', action, table, name);
        for (const k of fk) this.scoped('column', 'reference', table, k);
        const ref = this.rel('table', 'reference', c.pktable);
        for (const k of (c.pk_attrs ?? []).map(str)) this.scoped('column', 'reference', ref, k);
        return;
      }
      default:
        return;
    }
  }

  typeRef(t: Node | undefined): undefined {
    if (!t || t.pct_type) return;
    const names: string[] = (t.names ?? []).map(str);
    if (names.length === 0) return;
    if (
      names.length > 1 ? names[names.length - 2] === 'pg_catalog' : BUILTIN.has(names[0] as string)
    )
      return;
    this.names('type', 'reference', names);
  }

  columnDef(table: [string, string], cd: Node, action: string): undefined {
    this.scoped('column', action, table, cd.colname);
    this.typeRef(cd.typeName);
    for (const c of cd.constraints ?? [])
      if (c.Constraint) this.constraint(table, c.Constraint, 'create', cd.colname);
  }

  statement(s: Node): undefined {
    const [type] = Object.keys(s) as [string];
    const n = s[type];
    switch (type) {
      case 'CreateStmt': {
        const table = this.rel('table', 'create', n.relation);
        for (const e of n.tableElts ?? []) {
          if (e.ColumnDef) this.columnDef(table, e.ColumnDef, 'create');
          else if (e.Constraint) this.constraint(table, e.Constraint, 'create');
          else if (e.TableLikeClause) this.rel('table', 'reference', e.TableLikeClause.relation);
        }
        for (const p of n.inhRelations ?? []) this.rel('table', 'reference', p.RangeVar);
        if (n.ofTypename) this.names('type', 'reference', n.ofTypename.names.map(str));
        return;
      }
      case 'CreateTableAsStmt': {
        const kind = n.objtype === 'OBJECT_MATVIEW' ? 'materialized_view' : 'table';
        this.rel(kind, 'create', n.into.rel);
        this.collectCtes(n.query);
        this.refs(n.query);
        return;
      }
      case 'ViewStmt': {
        const v = this.rel('view', 'create', n.view);
        this.collectCtes(n.query);
        if (n.view.schemaname === undefined && this.ctes.has(v[1])) {
          /* recursive view: its own name is a CTE */
        }
        this.refs(n.query);
        return;
      }
      case 'AlterTableStmt': {
        const kinds: Record<string, string> = {
          OBJECT_TABLE: 'table',
          OBJECT_VIEW: 'view',
          OBJECT_MATVIEW: 'materialized_view',
          OBJECT_INDEX: 'index',
          OBJECT_SEQUENCE: 'sequence',
          OBJECT_TYPE: 'type',
        };
        const kind = kinds[n.objtype];
        if (!kind) return this.unsupported();
        const table = this.rel(kind, 'alter', n.relation);
        if (kind !== 'table') return;
        for (const c of n.cmds ?? []) this.alterCmd(table, c.AlterTableCmd);
        return;
      }
      case 'RenameStmt':
        return this.rename(n);
      case 'AlterObjectSchemaStmt':
        return this.setSchema(n);
      case 'IndexStmt': {
        const table = this.rel('index-table', 'x', n.relation);
        this.objects.pop();
        const labels: string[] = [];
        const plain: string[] = [];
        let allPlain = true;
        for (const p of n.indexParams ?? []) {
          const e = p.IndexElem;
          const opts =
            e.ordering !== 'SORTBY_DEFAULT' ||
            e.nulls_ordering !== 'SORTBY_NULLS_DEFAULT' ||
            e.opclass ||
            e.collation;
          if (e.name !== undefined) {
            labels.push(e.name);
            plain.push(qi(e.name));
            this.scoped('column', 'reference', table, e.name);
            if (opts) allPlain = false;
          } else {
            allPlain = false;
            const fc = e.expr?.FuncCall;
            labels.push(fc ? str(fc.funcname[fc.funcname.length - 1]) : 'expr');
          }
        }
        const name = n.idxname ?? trunc([table[1], ...labels, 'idx'].join('_'));
        const o: OracleObject = { kind: 'index', action: 'create', qualified: q(table[0], name) };
        if (allPlain) o.columns = plain;
        this.objects.push(o);
        return;
      }
      case 'DropStmt':
        return this.drop(n);
      case 'CreateFunctionStmt':
        this.fn('create', n.funcname.map(str), signatureOf(n.parameters, this.schema));
        return;
      case 'DefineStmt':
        if (n.kind === 'OBJECT_AGGREGATE') {
          const names = n.defnames.map(str);
          if (n.oldstyle) return this.fn('create', names);
          const lists = n.args?.[0]?.List?.items ?? [];
          this.fn('create', names, signatureOf(lists, this.schema));
          return;
        }
        if (n.kind === 'OBJECT_TYPE') {
          this.names('type', 'create', n.defnames.map(str));
          return;
        }
        return this.unsupported();
      case 'CompositeTypeStmt':
        this.rel('type', 'create', n.typevar);
        return;
      case 'CreateEnumStmt':
      case 'CreateRangeStmt':
        this.names('type', 'create', n.typeName.map(str));
        return;
      case 'CreateDomainStmt':
        this.names('type', 'create', n.domainname.map(str));
        this.typeRef(n.typeName);
        return;
      case 'AlterEnumStmt':
      case 'AlterDomainStmt':
        this.names('type', 'alter', n.typeName.map(str));
        return;
      case 'AlterTypeStmt':
        this.names('type', 'alter', n.typeName.map(str));
        return;
      case 'AlterFunctionStmt':
        return this.owa('alter', n.func.ObjectWithArgs ?? n.func);
      case 'CreateTrigStmt': {
        const table = this.rel('t', 'x', n.relation);
        this.objects.pop();
        this.scoped('trigger', 'create', table, n.trigname);
        if (n.constrrel) this.rel('table', 'reference', n.constrrel);
        this.fn('reference', n.funcname.map(str), '');
        return;
      }
      case 'CreateSeqStmt':
        this.rel('sequence', 'create', n.sequence);
        return;
      case 'AlterSeqStmt':
        this.rel('sequence', 'alter', n.sequence);
        return;
      case 'CreatePolicyStmt':
      case 'AlterPolicyStmt': {
        const table = this.rel('t', 'x', n.table);
        this.objects.pop();
        this.scoped(
          'policy',
          type === 'CreatePolicyStmt' ? 'create' : 'alter',
          table,
          n.policy_name,
        );
        return;
      }
      case 'CreateExtensionStmt':
        this.global('extension', 'create', n.extname);
        return;
      case 'AlterExtensionStmt':
      case 'AlterExtensionContentsStmt':
        this.global('extension', 'alter', n.extname);
        return;
      case 'CreateSchemaStmt':
        this.global(
          'schema',
          'create',
          n.schemaname ?? n.authrole?.RoleSpec?.rolename ?? n.authrole?.rolename,
        );
        return;
      case 'AlterOwnerStmt':
        return this.owner(n);
      case 'CommentStmt':
        return this.comment(n);
      case 'GrantStmt':
        return this.grant(n);
      case 'VariableSetStmt':
        if (n.name === 'search_path' && n.kind === 'VAR_SET_VALUE') {
          for (const a of n.args ?? []) {
            const v = a.A_Const?.sval?.sval ?? (a.String ? a.String.sval : undefined);
            if (v === undefined || v === '$user') continue;
            this.schema = v;
            break;
          }
        }
        return;
      case 'TransactionStmt':
      case 'VariableShowStmt':
        return;
      case 'SelectStmt':
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        this.collectCtes(s);
        this.refs(s);
        return;
      case 'TruncateStmt':
      case 'LockStmt':
        for (const r of n.relations ?? []) this.rel('table', 'reference', r.RangeVar);
        return;
      case 'RefreshMatViewStmt':
        this.rel('materialized_view', 'reference', n.relation);
        return;
      default:
        return this.unsupported();
    }
  }

  unsupported(): undefined {
    this.supported = false;
  }

  collectCtes(node: Node): undefined {
    const walk = (x: Node) => {
      if (Array.isArray(x)) {
        for (const y of x) walk(y);
        return;
      }
      if (!x || typeof x !== 'object') return;
      if (x.CommonTableExpr) this.ctes.add(x.CommonTableExpr.ctename);
      for (const k of Object.keys(x)) walk(x[k]);
    };
    walk(node);
  }

  alterCmd(table: [string, string], c: Node): undefined {
    switch (c.subtype) {
      case 'AT_AddColumn':
        return this.columnDef(table, c.def.ColumnDef, 'create');
      case 'AT_DropColumn':
        return this.scoped('column', 'drop', table, c.name);
      case 'AT_AlterColumnType':
        this.typeRef(c.def?.ColumnDef?.typeName);
        return this.scoped('column', 'alter', table, c.name);
      case 'AT_ColumnDefault':
      case 'AT_DropNotNull':
      case 'AT_SetNotNull':
      case 'AT_SetStatistics':
      case 'AT_SetStorage':
      case 'AT_AddIdentity':
      case 'AT_DropIdentity':
      case 'AT_SetIdentity':
      case 'AT_DropExpression':
      case 'AT_SetOptions':
      case 'AT_ResetOptions':
      case 'AT_SetCompression':
      case 'AT_SetExpression':
        return this.scoped('column', 'alter', table, c.name);
      case 'AT_AddConstraint':
        return this.constraint(table, c.def.Constraint, 'create');
      case 'AT_DropConstraint':
        return this.scoped('constraint', 'drop', table, c.name);
      case 'AT_ValidateConstraint':
        return this.scoped('constraint', 'alter', table, c.name);
      case 'AT_AlterConstraint':
        return this.scoped('constraint', 'alter', table, c.def.Constraint.conname);
      case 'AT_EnableTrig':
      case 'AT_EnableAlwaysTrig':
      case 'AT_EnableReplicaTrig':
      case 'AT_DisableTrig':
        return this.scoped('trigger', 'alter', table, c.name);
      case 'AT_AttachPartition':
      case 'AT_DetachPartition':
        this.rel('table', 'alter', c.def.PartitionCmd.name);
        return;
      case 'AT_AddInherit':
      case 'AT_DropInherit':
        this.rel('table', 'reference', c.def.RangeVar);
        return;
      default:
        return;
    }
  }

  rename(n: Node): undefined {
    const relKinds: Record<string, string> = {
      OBJECT_TABLE: 'table',
      OBJECT_VIEW: 'view',
      OBJECT_MATVIEW: 'materialized_view',
      OBJECT_INDEX: 'index',
      OBJECT_SEQUENCE: 'sequence',
    };
    const rt = n.renameType as string;
    if (relKinds[rt]) {
      const rv = n.relation;
      const schema = rv.schemaname ?? this.schema;
      this.renamePair(relKinds[rt] as string, q(schema, rv.relname), q(schema, n.newname));
      return;
    }
    if (rt === 'OBJECT_COLUMN' || rt === 'OBJECT_TABCONSTRAINT') {
      const kind =
        n.relationType === 'OBJECT_TABLE' || rt === 'OBJECT_TABCONSTRAINT'
          ? 'table'
          : n.relationType === 'OBJECT_VIEW'
            ? 'view'
            : n.relationType === 'OBJECT_MATVIEW'
              ? 'materialized_view'
              : 'table';
      const table = this.rel(kind, 'alter', n.relation);
      if (kind !== 'table') return;
      const sub = rt === 'OBJECT_COLUMN' ? 'column' : 'constraint';
      this.renamePair(sub, q(table[0], table[1], n.subname), q(table[0], table[1], n.newname));
      return;
    }
    if (rt === 'OBJECT_TRIGGER' || rt === 'OBJECT_POLICY') {
      const rv = n.relation;
      const schema = rv.schemaname ?? this.schema;
      const kind = rt === 'OBJECT_TRIGGER' ? 'trigger' : 'policy';
      this.renamePair(kind, q(schema, rv.relname, n.subname), q(schema, rv.relname, n.newname));
      return;
    }
    if (
      ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_AGGREGATE', 'OBJECT_ROUTINE'].includes(rt)
    ) {
      const owa = n.object.ObjectWithArgs;
      const names = owa.objname.map(str);
      const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
      const sig = owa.args_unspecified ? undefined : signatureOf(owa.objfuncargs, this.schema);
      this.objects.push(
        {
          kind: 'function',
          action: 'rename',
          qualified: q(schema, names[names.length - 1]),
          ...(sig !== undefined ? { signature: sig } : {}),
        },
        {
          kind: 'function',
          action: 'rename',
          qualified: q(schema, n.newname),
          ...(sig !== undefined ? { signature: sig } : {}),
        },
      );
      return;
    }
    if (rt === 'OBJECT_TYPE' || rt === 'OBJECT_DOMAIN') {
      const names = n.object.List.items.map(str);
      const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
      this.renamePair('type', q(schema, names[names.length - 1]), q(schema, n.newname));
      return;
    }
    if (rt === 'OBJECT_ATTRIBUTE') {
      this.rel('type', 'alter', n.relation);
      return;
    }
    if (rt === 'OBJECT_SCHEMA') {
      this.renamePair('schema', qi(n.subname), qi(n.newname));
      return;
    }
    this.unsupported();
  }

  owner(n: Node): undefined {
    const ot = n.objectType as string;
    const o = n.object;
    if (ot === 'OBJECT_SCHEMA' || ot === 'OBJECT_EXTENSION') {
      this.global(ot === 'OBJECT_SCHEMA' ? 'schema' : 'extension', 'alter', str(o));
      return;
    }
    if (
      ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_AGGREGATE', 'OBJECT_ROUTINE'].includes(ot)
    ) {
      return this.owa('alter', o.ObjectWithArgs);
    }
    if (ot === 'OBJECT_TYPE' || ot === 'OBJECT_DOMAIN') {
      this.names('type', 'alter', o.List ? o.List.items.map(str) : o.TypeName.names.map(str));
      return;
    }
    this.unsupported();
  }

  setSchema(n: Node): undefined {
    const relKinds: Record<string, string> = {
      OBJECT_TABLE: 'table',
      OBJECT_VIEW: 'view',
      OBJECT_MATVIEW: 'materialized_view',
      OBJECT_SEQUENCE: 'sequence',
    };
    const ot = n.objectType as string;
    if (relKinds[ot]) {
      const rv = n.relation;
      const schema = rv.schemaname ?? this.schema;
      this.renamePair(relKinds[ot] as string, q(schema, rv.relname), q(n.newschema, rv.relname));
      return;
    }
    if (
      ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_AGGREGATE', 'OBJECT_ROUTINE'].includes(ot)
    ) {
      const owa = n.object.ObjectWithArgs;
      const names = owa.objname.map(str);
      const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
      const name = names[names.length - 1];
      const sig = owa.args_unspecified ? undefined : signatureOf(owa.objfuncargs, this.schema);
      this.objects.push(
        {
          kind: 'function',
          action: 'rename',
          qualified: q(schema, name),
          ...(sig !== undefined ? { signature: sig } : {}),
        },
        {
          kind: 'function',
          action: 'rename',
          qualified: q(n.newschema, name),
          ...(sig !== undefined ? { signature: sig } : {}),
        },
      );
      return;
    }
    if (ot === 'OBJECT_TYPE' || ot === 'OBJECT_DOMAIN') {
      const names = n.object.List.items.map(str);
      const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
      const name = names[names.length - 1];
      this.renamePair('type', q(schema, name), q(n.newschema, name));
      return;
    }
    if (ot === 'OBJECT_EXTENSION') {
      this.global('extension', 'alter', str(n.object));
      return;
    }
    this.unsupported();
  }

  drop(n: Node): undefined {
    const kinds: Record<string, string> = {
      OBJECT_TABLE: 'table',
      OBJECT_VIEW: 'view',
      OBJECT_MATVIEW: 'materialized_view',
      OBJECT_INDEX: 'index',
      OBJECT_SEQUENCE: 'sequence',
      OBJECT_TYPE: 'type',
      OBJECT_DOMAIN: 'type',
    };
    const rt = n.removeType as string;
    for (const o of n.objects ?? []) {
      if (kinds[rt]) {
        const names = o.List
          ? o.List.items.map(str)
          : o.TypeName
            ? o.TypeName.names.map(str)
            : [str(o)];
        this.names(kinds[rt] as string, 'drop', names);
      } else if (rt === 'OBJECT_SCHEMA' || rt === 'OBJECT_EXTENSION') {
        this.global(rt === 'OBJECT_SCHEMA' ? 'schema' : 'extension', 'drop', str(o));
      } else if (
        ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_AGGREGATE', 'OBJECT_ROUTINE'].includes(rt)
      ) {
        this.owa('drop', o.ObjectWithArgs);
      } else if (rt === 'OBJECT_TRIGGER' || rt === 'OBJECT_POLICY') {
        const names = o.List.items.map(str);
        const name = names.pop();
        const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
        this.scoped(
          rt === 'OBJECT_TRIGGER' ? 'trigger' : 'policy',
          'drop',
          [schema, names[names.length - 1]],
          name,
        );
      } else return this.unsupported();
    }
  }

  comment(n: Node): undefined {
    const kinds: Record<string, string> = {
      OBJECT_TABLE: 'table',
      OBJECT_VIEW: 'view',
      OBJECT_MATVIEW: 'materialized_view',
      OBJECT_INDEX: 'index',
      OBJECT_SEQUENCE: 'sequence',
      OBJECT_TYPE: 'type',
      OBJECT_DOMAIN: 'type',
    };
    const ot = n.objtype as string;
    const o = n.object;
    if (kinds[ot]) {
      const names = o.List
        ? o.List.items.map(str)
        : o.TypeName
          ? o.TypeName.names.map(str)
          : [str(o)];
      this.names(kinds[ot] as string, 'alter', names);
      return;
    }
    if (ot === 'OBJECT_COLUMN') {
      const names = o.List.items.map(str);
      const col = names.pop();
      const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
      this.scoped('column', 'alter', [schema, names[names.length - 1]], col);
      return;
    }
    if (
      ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_AGGREGATE', 'OBJECT_ROUTINE'].includes(ot)
    ) {
      return this.owa('alter', o.ObjectWithArgs);
    }
    if (ot === 'OBJECT_SCHEMA' || ot === 'OBJECT_EXTENSION') {
      this.global(ot === 'OBJECT_SCHEMA' ? 'schema' : 'extension', 'alter', str(o));
      return;
    }
    if (ot === 'OBJECT_TABCONSTRAINT' || ot === 'OBJECT_TRIGGER' || ot === 'OBJECT_POLICY') {
      const names = o.List.items.map(str);
      const name = names.pop();
      const schema = names.length >= 2 ? names[names.length - 2] : this.schema;
      const kind =
        ot === 'OBJECT_TABCONSTRAINT'
          ? 'constraint'
          : ot === 'OBJECT_TRIGGER'
            ? 'trigger'
            : 'policy';
      this.scoped(kind, 'alter', [schema, names[names.length - 1]], name);
      return;
    }
    this.unsupported();
  }

  grant(n: Node): undefined {
    if (n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
      for (const o of n.objects ?? []) this.global('schema', 'reference', str(o));
      return;
    }
    if (n.targtype !== 'ACL_TARGET_OBJECT') return this.unsupported();
    for (const o of n.objects ?? []) {
      switch (n.objtype) {
        case 'OBJECT_TABLE':
          this.rel('table', 'alter', o.RangeVar);
          break;
        case 'OBJECT_SEQUENCE':
          this.rel('sequence', 'reference', o.RangeVar);
          break;
        case 'OBJECT_FUNCTION':
        case 'OBJECT_PROCEDURE':
        case 'OBJECT_ROUTINE':
          this.owa('reference', o.ObjectWithArgs);
          break;
        case 'OBJECT_SCHEMA':
          this.global('schema', 'reference', str(o));
          break;
        case 'OBJECT_TYPE':
        case 'OBJECT_DOMAIN':
          this.names(
            'type',
            'reference',
            o.List ? o.List.items.map(str) : o.TypeName.names.map(str),
          );
          break;
        default:
          return this.unsupported();
      }
    }
  }
}

/** Canonical strings for comparing object sets. */
export function canon(o: OracleObject): string {
  let s = `${o.kind} ${o.action} ${o.qualified}`;
  if (o.kind === 'function' && o.signature !== undefined) s += `(${o.signature})`;
  return s;
}

/**
 * Objects of each statement of `sql` according to the real parser. Throws when
 * libpg-query rejects the SQL (a generator bug in the tests).
 */
export function oracleStatements(sql: string, defaultSchema = 'public'): OracleResult[] {
  const tree = parseSync(sql);
  const out: OracleResult[] = [];
  const c = new Collector(defaultSchema);
  for (const s of tree.stmts ?? []) {
    c.objects = [];
    c.supported = true;
    c.ctes = new Set();
    c.statement(s.stmt);
    out.push({ supported: c.supported, objects: c.objects });
  }
  return out;
}
