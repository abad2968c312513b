/*
 * plv8_compat: a small PLV8-compatible procedural language handler for
 * PostgreSQL, built on the V8 engine shipped in Debian's libnode108.
 *
 * See plv8/README.md for the contract this file implements.
 *
 * Error-handling discipline (the one rule that keeps backends alive):
 *   - A PostgreSQL longjmp (ereport ERROR) must never cross V8 frames, nor
 *     C++ frames that own RAII objects (HandleScope, TryCatch, ...).
 *     Every call into PostgreSQL made while V8 is on the stack goes through
 *     pg_guard(), which catches the longjmp, copies the ErrorData and turns
 *     it into a C++ PgError exception.
 *   - C++ exceptions never cross V8 frames either: every V8 callback is
 *     wrapped by invoke(), which turns them into JS exceptions.
 *   - Errors are raised to PostgreSQL only after every V8 scope of the
 *     current call has been closed.
 */
#include <atomic>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include "v8.h"
#include "libplatform/libplatform.h"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/proclang.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "parser/parse_node.h"
#include "parser/parse_param.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

PGDLLEXPORT Datum plv8_call_handler(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum plv8_inline_handler(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum plv8_call_validator(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum plv8_version(PG_FUNCTION_ARGS);
PGDLLEXPORT void _PG_init(void);

PG_FUNCTION_INFO_V1(plv8_call_handler);
PG_FUNCTION_INFO_V1(plv8_inline_handler);
PG_FUNCTION_INFO_V1(plv8_call_validator);
PG_FUNCTION_INFO_V1(plv8_version);
}

using v8::Array;
using v8::Context;
using v8::EscapableHandleScope;
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Global;
using v8::HandleScope;

using v8::Isolate;
using v8::Local;
using v8::MaybeLocal;
using v8::Object;
using v8::ObjectTemplate;
using v8::TryCatch;
using v8::Value;

#define PLV8_COMPAT_VERSION "1.0"

/* ------------------------------------------------------------------------
 * C++ exception types used between our own frames (never across V8).
 * ------------------------------------------------------------------------ */
struct PgError { ErrorData *edata; };	/* a PostgreSQL error, already flushed */
struct JsPending {};					/* a JS exception is pending in V8 */
struct JsThrow { const char *msg; };	/* throw new Error(msg) */

/* ------------------------------------------------------------------------
 * Per-backend state
 * ------------------------------------------------------------------------ */
static std::unique_ptr<v8::Platform> g_platform;
static bool g_v8_initialized = false;
static Isolate *g_isolate = nullptr;
static v8::ArrayBuffer::Allocator *g_allocator = nullptr;
static volatile sig_atomic_t g_depth = 0;	/* nesting of JS execution */
static volatile bool g_oom = false;			/* heap limit hit */
static volatile sig_atomic_t g_cancel_requested = 0;	/* SIGINT/SIGTERM while in JS */
static int	g_cancel_code = 0;			/* the PG error a cancel raised inside JS */
static char *g_cancel_msg = nullptr;
static int g_memory_limit_mb = 256;
static Global<ObjectTemplate> *g_global_tmpl = nullptr;

/* watchdog for cancellation: signal handler posts, thread terminates JS */
static sem_t g_sem;
static bool g_watchdog_started = false;
static pqsigfunc g_prev_sigint = nullptr;
static pqsigfunc g_prev_sigterm = nullptr;

struct TypeInfo;

struct ProcEntry
{
	Global<Function> fn;
	TransactionId xmin;
	ItemPointerData tid;
	Oid			fn_oid;
	int			nargs;
	TypeInfo   *argtypes;		/* nargs entries */
	TypeInfo   *rettype;
	bool		is_trigger;
	bool		retset;
	bool		ret_record;
	char		volatility;
	char	   *proname;
};

struct ContextEntry
{
	Global<Context> ctx;
	std::unordered_map<Oid, ProcEntry *> procs;
};

static std::unordered_map<Oid, ContextEntry *> g_contexts;
static MemoryContext g_cache_mcxt = nullptr;

/* ------------------------------------------------------------------------
 * pg_guard: run f; a PostgreSQL ERROR inside becomes a PgError exception.
 * f itself may throw C++ exceptions; they are rethrown after the PG_TRY
 * block is closed.  f must not own RAII objects (HandleScope, TryCatch,
 * std::string ...) across calls that can ereport.
 * ------------------------------------------------------------------------ */
template <typename F>
static void
pg_guard(F &&f)
{
	MemoryContext ctx = CurrentMemoryContext;
	ErrorData  *volatile edata = nullptr;
	std::exception_ptr cxx;

	PG_TRY();
	{
		try
		{
			f();
		}
		catch (...)
		{
			cxx = std::current_exception();
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ctx);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (edata)
		throw PgError{edata};
	if (cxx)
		std::rethrow_exception(cxx);
}

/* ------------------------------------------------------------------------
 * String helpers
 * ------------------------------------------------------------------------ */
static inline Local<v8::String>
js_str(Isolate *iso, const char *s, int len = -1)
{
	Local<v8::String> r;
	if (!v8::String::NewFromUtf8(iso, s ? s : "", v8::NewStringType::kNormal,
								 len).ToLocal(&r))
		throw JsThrow{"string too long for JavaScript"};
	return r;
}

/* Convert a JS string to a palloc'd C string (no ereport on OOM). */
static char *
js_string_to_cstr(Isolate *iso, Local<v8::String> s)
{
	int			len = s->Utf8Length(iso);
	char	   *buf = (char *) palloc_extended(len + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);

	if (!buf)
		throw JsThrow{"out of memory"};
	s->WriteUtf8(iso, buf, len, nullptr,
				 v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
	buf[len] = '\0';
	return buf;
}

/* String(value) as a palloc'd C string; may run user JS (toString). */
static char *
js_to_cstr(Isolate *iso, Local<Context> ctx, Local<Value> v)
{
	Local<v8::String> s;
	if (!v->ToString(ctx).ToLocal(&s))
		throw JsPending{};
	return js_string_to_cstr(iso, s);
}

static inline Local<v8::String>
sym(Isolate *iso, const char *s)
{
	return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

/* ------------------------------------------------------------------------
 * Type information and conversion
 * ------------------------------------------------------------------------ */
struct TypeInfo
{
	Oid			typid;			/* declared type (may be a domain) */
	Oid			basetype;		/* after domain resolution */
	int32		typmod;
	int16		len;
	bool		byval;
	char		align;
	bool		is_array;
	bool		is_composite;
	TypeInfo   *elem;			/* arrays: element type */
	FmgrInfo	fn_in;
	FmgrInfo	fn_out;
	Oid			ioparam;
	bool		in_ready;
	bool		out_ready;
	MemoryContext mcxt;
};

/* Must be called under pg_guard (or outside V8). */
static void
fill_type(TypeInfo *t, Oid typid, MemoryContext mcxt)
{
	memset(t, 0, sizeof(*t));
	t->typid = typid;
	t->typmod = -1;
	t->mcxt = mcxt;
	t->basetype = getBaseType(typid);
	get_typlenbyvalalign(typid, &t->len, &t->byval, &t->align);
	Oid			elem = get_element_type(t->basetype);

	if (OidIsValid(elem) && t->len == -1)
	{
		t->is_array = true;
		t->elem = (TypeInfo *) MemoryContextAlloc(mcxt, sizeof(TypeInfo));
		fill_type(t->elem, elem, mcxt);
	}
	else if (type_is_rowtype(t->basetype))
		t->is_composite = true;
}

static TypeInfo *
new_type(Oid typid, MemoryContext mcxt)
{
	TypeInfo   *t = (TypeInfo *) MemoryContextAlloc(mcxt, sizeof(TypeInfo));

	fill_type(t, typid, mcxt);
	return t;
}

static char *
type_output(TypeInfo *t, Datum d)
{
	if (!t->out_ready)
	{
		Oid			func;
		bool		isvarlena;

		getTypeOutputInfo(t->typid, &func, &isvarlena);
		fmgr_info_cxt(func, &t->fn_out, t->mcxt);
		t->out_ready = true;
	}
	return OutputFunctionCall(&t->fn_out, d);
}

static Datum
type_input(TypeInfo *t, char *s)
{
	if (!t->in_ready)
	{
		Oid			func;

		getTypeInputInfo(t->typid, &func, &t->ioparam);
		fmgr_info_cxt(func, &t->fn_in, t->mcxt);
		t->in_ready = true;
	}
	return InputFunctionCall(&t->fn_in, s, t->ioparam, t->typmod);
}

static const double kEpochOffsetMs = 946684800000.0;	/* 2000-01-01 in Unix ms */

static Local<Value> to_js(Isolate *iso, Local<Context> ctx, Datum d, bool isnull, TypeInfo *t);
static Datum to_datum(Isolate *iso, Local<Context> ctx, Local<Value> v, TypeInfo *t, bool *isnull);

/* Row (HeapTupleHeader or HeapTuple fields) to a JS object. */
static Local<Object>
tuple_to_js(Isolate *iso, Local<Context> ctx, HeapTuple tuple, TupleDesc desc, TypeInfo *cols)
{
	Local<Object> obj = Object::New(iso);

	for (int c = 0; c < desc->natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);
		bool		isnull;
		Datum		d;

		if (att->attisdropped)
			continue;
		d = heap_getattr(tuple, c + 1, desc, &isnull);
		if (obj->Set(ctx, js_str(iso, NameStr(att->attname)),
					 to_js(iso, ctx, d, isnull, &cols[c])).IsNothing())
			throw JsPending{};
	}
	return obj;
}

static TypeInfo *
desc_types(TupleDesc desc, MemoryContext mcxt)
{
	TypeInfo   *cols = (TypeInfo *) MemoryContextAllocZero(mcxt, sizeof(TypeInfo) * Max(desc->natts, 1));

	for (int c = 0; c < desc->natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);

		if (!att->attisdropped)
			fill_type(&cols[c], att->atttypid, mcxt);
	}
	return cols;
}

/* JS object to a HeapTuple of desc (by column names). */
static HeapTuple
js_to_tuple(Isolate *iso, Local<Context> ctx, Local<Value> v, TupleDesc desc, TypeInfo *cols,
			bool require_all)
{
	if (!v->IsObject())
		throw JsThrow{"value is not an object; cannot convert it to a row"};
	Local<Object> obj = v.As<Object>();
	Datum	   *values = (Datum *) palloc0(sizeof(Datum) * Max(desc->natts, 1));
	bool	   *nulls = (bool *) palloc0(sizeof(bool) * Max(desc->natts, 1));

	for (int c = 0; c < desc->natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);

		if (att->attisdropped)
		{
			nulls[c] = true;
			continue;
		}
		Local<v8::String> name = js_str(iso, NameStr(att->attname));
		if (require_all)
		{
			v8::Maybe<bool> has = obj->Has(ctx, name);
			if (has.IsNothing())
				throw JsPending{};
			if (!has.FromJust())
				throw JsThrow{"field name / property name mismatch"};
		}
		Local<Value> fv;
		if (!obj->Get(ctx, name).ToLocal(&fv))
			throw JsPending{};
		values[c] = to_datum(iso, ctx, fv, &cols[c], &nulls[c]);
	}
	return heap_form_tuple(desc, values, nulls);
}

static Local<Value>
json_parse(Isolate *iso, Local<Context> ctx, const char *s)
{
	Local<Value> r;
	if (!v8::JSON::Parse(ctx, js_str(iso, s)).ToLocal(&r))
		throw JsPending{};
	return r;
}

/* Datum to JS value.  Call under pg_guard. */
static Local<Value>
to_js(Isolate *iso, Local<Context> ctx, Datum d, bool isnull, TypeInfo *t)
{
	if (isnull)
		return v8::Null(iso);

	if (t->is_array)
	{
		ArrayType  *arr = DatumGetArrayTypeP(d);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		TypeInfo   *et = t->elem;

		deconstruct_array(arr, ARR_ELEMTYPE(arr), et->len, et->byval, et->align,
						  &elems, &nulls, &n);
		Local<Array> result = Array::New(iso, n);
		for (int i = 0; i < n; i++)
			if (result->Set(ctx, i, to_js(iso, ctx, elems[i], nulls[i], et)).IsNothing())
				throw JsPending{};
		return result;
	}

	if (t->is_composite)
	{
		HeapTupleHeader th = DatumGetHeapTupleHeader(d);
		TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
												  HeapTupleHeaderGetTypMod(th));
		HeapTupleData tuple;
		TypeInfo   *cols = desc_types(desc, CurrentMemoryContext);

		tuple.t_len = HeapTupleHeaderGetDatumLength(th);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = th;
		Local<Object> obj;
		/* ReleaseTupleDesc must not be skipped: convert, then release */
		try
		{
			obj = tuple_to_js(iso, ctx, &tuple, desc, cols);
		}
		catch (...)
		{
			ReleaseTupleDesc(desc);
			throw;
		}
		ReleaseTupleDesc(desc);
		return obj;
	}

	switch (t->basetype)
	{
		case BOOLOID:
			return v8::Boolean::New(iso, DatumGetBool(d));
		case INT2OID:
			return v8::Integer::New(iso, DatumGetInt16(d));
		case INT4OID:
			return v8::Integer::New(iso, DatumGetInt32(d));
		case OIDOID:
			return v8::Integer::NewFromUnsigned(iso, DatumGetObjectId(d));
		case INT8OID:
			return v8::BigInt::New(iso, DatumGetInt64(d));
		case FLOAT4OID:
			return v8::Number::New(iso, DatumGetFloat4(d));
		case FLOAT8OID:
			return v8::Number::New(iso, DatumGetFloat8(d));
		case NUMERICOID:
			return v8::Number::New(iso, DatumGetFloat8(DirectFunctionCall1(numeric_float8, d)));
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				TimestampTz ts = DatumGetTimestampTz(d);
				double		ms;

				if (TIMESTAMP_IS_NOBEGIN(ts))
					ms = -INFINITY;
				else if (TIMESTAMP_IS_NOEND(ts))
					ms = INFINITY;
				else
					ms = (double) ts / 1000.0 + kEpochOffsetMs;
				Local<Value> r;
				if (!v8::Date::New(ctx, ms).ToLocal(&r))
					throw JsPending{};
				return r;
			}
		case DATEOID:
			{
				DateADT		dt = DatumGetDateADT(d);
				double		ms;

				if (DATE_IS_NOBEGIN(dt))
					ms = -INFINITY;
				else if (DATE_IS_NOEND(dt))
					ms = INFINITY;
				else
					ms = (double) dt * 86400000.0 + kEpochOffsetMs;
				Local<Value> r;
				if (!v8::Date::New(ctx, ms).ToLocal(&r))
					throw JsPending{};
				return r;
			}
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case XMLOID:
			{
				text	   *p = DatumGetTextPP(d);

				return js_str(iso, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
			}
		case JSONOID:
			{
				char	   *s = text_to_cstring(DatumGetTextPP(d));

				return json_parse(iso, ctx, s);
			}
		case JSONBOID:
			return json_parse(iso, ctx, type_output(t, d));
		case BYTEAOID:
			{
				bytea	   *p = DatumGetByteaPP(d);
				size_t		len = VARSIZE_ANY_EXHDR(p);
				Local<v8::ArrayBuffer> buf = v8::ArrayBuffer::New(iso, len);

				if (len)
					memcpy(buf->GetBackingStore()->Data(), VARDATA_ANY(p), len);
				return v8::Uint8Array::New(buf, 0, len);
			}
		default:
			return js_str(iso, type_output(t, d));
	}
}

/* JS value to Datum of type t.  Call under pg_guard.  May run user JS. */
static Datum
to_datum(Isolate *iso, Local<Context> ctx, Local<Value> v, TypeInfo *t, bool *isnull)
{
	*isnull = false;
	if (v.IsEmpty() || v->IsUndefined() || v->IsNull())
	{
		*isnull = true;
		return (Datum) 0;
	}

	if (t->is_array && v->IsArray())
	{
		Local<Array> a = v.As<Array>();
		int			n = a->Length();
		Datum	   *values = (Datum *) palloc0(sizeof(Datum) * Max(n, 1));
		bool	   *nulls = (bool *) palloc0(sizeof(bool) * Max(n, 1));
		int			dims[1] = {n};
		int			lbs[1] = {1};
		TypeInfo   *et = t->elem;

		for (int i = 0; i < n; i++)
		{
			Local<Value> e;
			if (!a->Get(ctx, i).ToLocal(&e))
				throw JsPending{};
			values[i] = to_datum(iso, ctx, e, et, &nulls[i]);
		}
		ArrayType  *arr = construct_md_array(values, nulls, 1, dims, lbs,
											 et->typid, et->len, et->byval, et->align);
		return PointerGetDatum(arr);
	}

	if (t->is_composite && v->IsObject() && !v->IsDate())
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(t->basetype, -1);
		TypeInfo   *cols = desc_types(desc, CurrentMemoryContext);
		HeapTuple	tup;

		try
		{
			tup = js_to_tuple(iso, ctx, v, desc, cols, false);
		}
		catch (...)
		{
			ReleaseTupleDesc(desc);
			throw;
		}
		ReleaseTupleDesc(desc);
		return HeapTupleGetDatum(tup);
	}

	bool		domain = (t->typid != t->basetype);

	if (!domain)
	{
		switch (t->basetype)
		{
			case BOOLOID:
				if (v->IsBoolean())
					return BoolGetDatum(v->BooleanValue(iso));
				break;
			case INT2OID:
				if (v->IsNumber())
				{
					double		x = v.As<v8::Number>()->Value();

					if (x >= PG_INT16_MIN && x <= PG_INT16_MAX)
						return Int16GetDatum((int16) x);
				}
				break;
			case INT4OID:
				if (v->IsNumber())
				{
					double		x = v.As<v8::Number>()->Value();

					if (x >= PG_INT32_MIN && x <= PG_INT32_MAX)
						return Int32GetDatum((int32) x);
				}
				break;
			case OIDOID:
				if (v->IsNumber())
				{
					double		x = v.As<v8::Number>()->Value();

					if (x >= 0 && x <= PG_UINT32_MAX)
						return ObjectIdGetDatum((Oid) x);
				}
				break;
			case INT8OID:
				if (v->IsBigInt())
				{
					bool		lossless;
					int64		x = v.As<v8::BigInt>()->Int64Value(&lossless);

					if (!lossless)
						throw JsThrow{"BigInt value out of range for type bigint"};
					return Int64GetDatum(x);
				}
				if (v->IsNumber())
				{
					double		x = v.As<v8::Number>()->Value();

					if (x >= -9.2233720368547758e18 && x < 9.2233720368547758e18)
						return Int64GetDatum((int64) x);
				}
				break;
			case FLOAT4OID:
				if (v->IsNumber())
					return Float4GetDatum((float4) v.As<v8::Number>()->Value());
				break;
			case FLOAT8OID:
				if (v->IsNumber())
					return Float8GetDatum(v.As<v8::Number>()->Value());
				break;
			case NUMERICOID:
				if (v->IsNumber())
					return DirectFunctionCall1(float8_numeric,
											   Float8GetDatum(v.As<v8::Number>()->Value()));
				break;
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
				if (v->IsDate())
				{
					double		ms = v.As<v8::Date>()->ValueOf();

					if (isnan(ms))
						throw JsThrow{"invalid Date cannot be converted to a timestamp"};
					double		us = (ms - kEpochOffsetMs) * 1000.0;

					return TimestampTzGetDatum((TimestampTz) llround(us));
				}
				break;
			case DATEOID:
				if (v->IsDate())
				{
					double		ms = v.As<v8::Date>()->ValueOf();

					if (isnan(ms))
						throw JsThrow{"invalid Date cannot be converted to a date"};
					return DateADTGetDatum((DateADT) floor((ms - kEpochOffsetMs) / 86400000.0));
				}
				break;
			case BYTEAOID:
				if (v->IsArrayBufferView() || v->IsArrayBuffer())
				{
					const char *data;
					size_t		len;
					std::shared_ptr<v8::BackingStore> bs;

					if (v->IsArrayBuffer())
					{
						bs = v.As<v8::ArrayBuffer>()->GetBackingStore();
						data = (const char *) bs->Data();
						len = bs->ByteLength();
					}
					else
					{
						Local<v8::ArrayBufferView> view = v.As<v8::ArrayBufferView>();

						bs = view->Buffer()->GetBackingStore();
						data = (const char *) bs->Data() + view->ByteOffset();
						len = view->ByteLength();
					}
					bytea	   *r = (bytea *) palloc(len + VARHDRSZ);

					SET_VARSIZE(r, len + VARHDRSZ);
					if (len)
						memcpy(VARDATA(r), data, len);
					return PointerGetDatum(r);
				}
				break;
			default:
				break;
		}
	}

	if ((t->basetype == JSONOID || t->basetype == JSONBOID) && v->IsObject())
	{
		Local<v8::String> s;
		if (!v8::JSON::Stringify(ctx, v).ToLocal(&s))
			throw JsPending{};
		return type_input(t, js_string_to_cstr(iso, s));
	}

	/* lexical cast through the type's input function */
	return type_input(t, js_to_cstr(iso, ctx, v));
}

/* ------------------------------------------------------------------------
 * JS error object for a PostgreSQL error
 * ------------------------------------------------------------------------ */
static void
set_prop(Isolate *iso, Local<Context> ctx, Local<Object> o, const char *k, const char *v)
{
	Local<Value> val;
	if (v)
	{
		Local<v8::String> s;
		if (!v8::String::NewFromUtf8(iso, v).ToLocal(&s))
			return;
		val = s;
	}
	else
		val = v8::Null(iso);
	if (o->Set(ctx, sym(iso, k), val).IsNothing()) {}
}

static Local<Value>
pg_error_to_js(Isolate *iso, Local<Context> ctx, ErrorData *e)
{
	Local<v8::String> msg;
	if (!v8::String::NewFromUtf8(iso, e->message ? e->message : "unknown error").ToLocal(&msg))
		msg = sym(iso, "error");
	Local<Value> errv = v8::Exception::Error(msg);
	Local<Object> err;
	if (!errv->ToObject(ctx).ToLocal(&err))
		return errv;
	set_prop(iso, ctx, err, "sqlerrcode", unpack_sql_state(e->sqlerrcode));
	set_prop(iso, ctx, err, "schema_name", e->schema_name);
	set_prop(iso, ctx, err, "table_name", e->table_name);
	set_prop(iso, ctx, err, "column_name", e->column_name);
	set_prop(iso, ctx, err, "datatype_name", e->datatype_name);
	set_prop(iso, ctx, err, "constraint_name", e->constraint_name);
	set_prop(iso, ctx, err, "detail", e->detail);
	set_prop(iso, ctx, err, "hint", e->hint);
	set_prop(iso, ctx, err, "context", e->context);
	set_prop(iso, ctx, err, "internalquery", e->internalquery);
	if (err->Set(ctx, sym(iso, "code"), v8::Integer::New(iso, (int32) e->sqlerrcode)).IsNothing()) {}
	return err;
}

/* ------------------------------------------------------------------------
 * V8 callback wrapper: C++ exceptions -> JS exceptions
 * ------------------------------------------------------------------------ */
typedef void (*Callback) (const FunctionCallbackInfo<Value> &);

static inline bool
stopping(void)
{
	return g_cancel_requested || g_oom;
}

/*
 * Remember the PostgreSQL error that a cancel raised inside a callback, so
 * that the top level re-raises it (e.g. "canceling statement due to
 * statement timeout") once the JS stack has been terminated.
 */
static void
remember_cancel_error(ErrorData *e)
{
	if (g_cancel_msg)
		return;
	g_cancel_code = e->sqlerrcode;
	g_cancel_msg = MemoryContextStrdup(TopMemoryContext, e->message ? e->message : "canceled");
}

static void
forget_cancel_error(void)
{
	if (g_cancel_msg)
		pfree(g_cancel_msg);
	g_cancel_msg = nullptr;
	g_cancel_code = 0;
}

static void
invoke(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	HandleScope hs(iso);
	Local<Context> ctx = iso->GetCurrentContext();
	Callback	fn = reinterpret_cast<Callback>(args.Data().As<v8::External>()->Value());
	MemoryContext mcxt = CurrentMemoryContext;
	const char *msg = nullptr;

	/*
	 * Once a cancel, a terminate or the heap limit has been seen, no plv8.*
	 * call proceeds and no ordinary (catchable) exception is thrown: the JS
	 * stack is terminated instead.  Throwing an ordinary exception here could
	 * replace V8's pending termination and let JS catch it and go on.
	 */
	if (stopping())
	{
		iso->TerminateExecution();
		return;
	}
	try
	{
		fn(args);
		if (stopping())
			iso->TerminateExecution();
		return;
	}
	catch (PgError &e)
	{
		MemoryContextSwitchTo(mcxt);
		if (stopping() || iso->IsExecutionTerminating())
		{
			if (e.edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
				e.edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
				remember_cancel_error(e.edata);
			FreeErrorData(e.edata);
			iso->TerminateExecution();
			return;
		}
		iso->ThrowException(pg_error_to_js(iso, ctx, e.edata));
		FreeErrorData(e.edata);
		return;
	}
	catch (JsPending &)
	{
		/* exception already scheduled */
		if (stopping())
			iso->TerminateExecution();
		return;
	}
	catch (JsThrow &e)
	{
		msg = e.msg;
	}
	catch (std::bad_alloc &)
	{
		msg = "out of memory";
	}
	catch (...)
	{
		msg = "internal error in plv8_compat";
	}
	MemoryContextSwitchTo(mcxt);
	if (stopping() || iso->IsExecutionTerminating())
	{
		iso->TerminateExecution();
		return;
	}
	Local<v8::String> str;
	if (v8::String::NewFromUtf8(iso, msg).ToLocal(&str))
		iso->ThrowException(v8::Exception::Error(str));
}

static void
set_method(Isolate *iso, Local<ObjectTemplate> t, const char *name, Callback fn)
{
	t->Set(sym(iso, name),
		   FunctionTemplate::New(iso, invoke,
								 v8::External::New(iso, reinterpret_cast<void *>(fn))),
		   v8::PropertyAttribute(v8::ReadOnly | v8::DontEnum | v8::DontDelete));
}

/* The function currently executing (for read_only of plv8.execute). */
static bool g_read_only = false;

/* ------------------------------------------------------------------------
 * plv8.elog(level, ...msgs)
 * ------------------------------------------------------------------------ */
static void
js_elog(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 2)
		throw JsThrow{"usage: plv8.elog(elevel, ...)"};
	int32		level;
	if (!args[0]->Int32Value(ctx).To(&level))
		throw JsPending{};
	switch (level)
	{
		case DEBUG5:
		case DEBUG4:
		case DEBUG3:
		case DEBUG2:
		case DEBUG1:
		case LOG:
		case INFO:
		case NOTICE:
		case WARNING:
		case ERROR:
			break;
		default:
			throw JsThrow{"invalid error level"};
	}
	StringInfoData buf;
	pg_guard([&] { initStringInfo(&buf); });
	for (int i = 1; i < args.Length(); i++)
	{
		char	   *s = js_to_cstr(iso, ctx, args[i]);

		pg_guard([&] {
			if (i > 1)
				appendStringInfoChar(&buf, ' ');
			appendStringInfoString(&buf, s);
		});
	}
	if (level == ERROR)
		throw JsThrow{buf.data};
	pg_guard([&] { elog(level, "%s", buf.data); });
}

/* ------------------------------------------------------------------------
 * Subtransactions
 * ------------------------------------------------------------------------ */
struct SubXact
{
	MemoryContext mcxt;
	ResourceOwner owner;
};

static void
subxact_begin(SubXact *s)
{
	s->mcxt = CurrentMemoryContext;
	s->owner = CurrentResourceOwner;
	pg_guard([&] {
		if (!IsTransactionOrTransactionBlock())
			elog(ERROR, "out of transaction");
		BeginInternalSubTransaction(NULL);
	});
	MemoryContextSwitchTo(s->mcxt);
}

static void
subxact_end(SubXact *s, bool commit)
{
	pg_guard([&] {
		if (commit)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
	});
	MemoryContextSwitchTo(s->mcxt);
	CurrentResourceOwner = s->owner;
}

/* ------------------------------------------------------------------------
 * plv8.execute(sql[, params])
 * ------------------------------------------------------------------------ */
struct VarParams
{
	Oid		   *types;
	int			n;
};

static void
var_param_setup(ParseState *pstate, void *arg)
{
	VarParams  *vp = (VarParams *) arg;

	setup_parse_variable_parameters(pstate, &vp->types, &vp->n);
}

static Local<Value>
spi_result_to_js(Isolate *iso, Local<Context> ctx, int status)
{
	bool		rows = false;

	switch (status)
	{
		case SPI_OK_SELECT:
		case SPI_OK_INSERT_RETURNING:
		case SPI_OK_UPDATE_RETURNING:
		case SPI_OK_DELETE_RETURNING:
			rows = true;
			break;
		case SPI_OK_UTILITY:
		case SPI_OK_REWRITTEN:
			rows = (SPI_tuptable != NULL);
			break;
		default:
			break;
	}
	if (!rows || SPI_tuptable == NULL)
		return v8::Number::New(iso, (double) SPI_processed);

	uint64		n = SPI_processed;
	SPITupleTable *tt = SPI_tuptable;
	Local<Array> result = Array::New(iso, (int) n);

	pg_guard([&] {
		TypeInfo   *cols = desc_types(tt->tupdesc, CurrentMemoryContext);

		for (uint64 r = 0; r < n; r++)
			if (result->Set(ctx, (uint32) r,
							tuple_to_js(iso, ctx, tt->vals[r], tt->tupdesc, cols)).IsNothing())
				throw JsPending{};
		SPI_freetuptable(tt);
	});
	return result;
}

static void
js_execute(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1)
	{
		args.GetReturnValue().SetUndefined();
		return;
	}
	char	   *sql = js_to_cstr(iso, ctx, args[0]);
	std::vector<Local<Value>> params;

	if (args.Length() >= 2)
	{
		if (args[1]->IsArray())
		{
			Local<Array> a = args[1].As<Array>();
			for (uint32 i = 0; i < a->Length(); i++)
			{
				Local<Value> e;
				if (!a->Get(ctx, i).ToLocal(&e))
					throw JsPending{};
				params.push_back(e);
			}
		}
		else
			for (int i = 1; i < args.Length(); i++)
				params.push_back(args[i]);
	}
	int			nparams = (int) params.size();
	bool		read_only = g_read_only;
	int			status = 0;
	SubXact		sx;

	subxact_begin(&sx);
	try
	{
		pg_guard([&] {
			if (nparams == 0)
			{
				status = SPI_execute(sql, read_only, 0);
			}
			else
			{
				VarParams	vp;

				vp.n = nparams;
				vp.types = (Oid *) palloc0(sizeof(Oid) * nparams);
				SPIPlanPtr	plan = SPI_prepare_params(sql, var_param_setup, &vp, 0);

				if (plan == NULL)
					elog(ERROR, "SPI_prepare_params failed: %s", SPI_result_code_string(SPI_result));
				if (vp.n != nparams)
					elog(ERROR, "parameter numbers mismatch: %d != %d", vp.n, nparams);
				ParamListInfo pli = makeParamList(nparams);

				for (int i = 0; i < nparams; i++)
				{
					ParamExternData *p = &pli->params[i];
					Oid			typ = vp.types[i];

					if (typ == InvalidOid)
						typ = TEXTOID;
					p->pflags = PARAM_FLAG_CONST;
					p->ptype = typ;
					if (typ == UNKNOWNOID)
					{
						p->isnull = params[i]->IsNull() || params[i]->IsUndefined();
						p->value = p->isnull ? (Datum) 0 :
							CStringGetDatum(js_to_cstr(iso, ctx, params[i]));
					}
					else
					{
						TypeInfo	ti;

						fill_type(&ti, typ, CurrentMemoryContext);
						p->value = to_datum(iso, ctx, params[i], &ti, &p->isnull);
					}
				}
				status = SPI_execute_plan_with_paramlist(plan, pli, read_only, 0);
				SPI_freeplan(plan);
			}
			if (status < 0)
				elog(ERROR, "SPI failed: %s", SPI_result_code_string(status));
		});
	}
	catch (...)
	{
		/* roll back the subtransaction, then let invoke() convert the error */
		std::exception_ptr ex = std::current_exception();
		subxact_end(&sx, false);
		std::rethrow_exception(ex);
	}
	subxact_end(&sx, true);
	args.GetReturnValue().Set(spi_result_to_js(iso, ctx, status));
}

/* ------------------------------------------------------------------------
 * plv8.subtransaction(fn)
 * ------------------------------------------------------------------------ */
static void
js_subtransaction(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1 || !args[0]->IsFunction())
	{
		args.GetReturnValue().SetUndefined();
		return;
	}
	Local<Function> fn = args[0].As<Function>();
	SubXact		sx;

	subxact_begin(&sx);
	TryCatch	tc(iso);
	Local<Value> r;
	bool		ok = fn->Call(ctx, ctx->Global(), 0, nullptr).ToLocal(&r);

	if (!ok)
	{
		try
		{
			subxact_end(&sx, false);
		}
		catch (PgError &e)
		{
			FreeErrorData(e.edata);
		}
		if (tc.CanContinue())
			tc.ReThrow();
		return;
	}
	subxact_end(&sx, true);
	args.GetReturnValue().Set(r);
}

/* ------------------------------------------------------------------------
 * quote helpers
 * ------------------------------------------------------------------------ */
static void
js_quote_ident(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1)
		return;
	char	   *s = js_to_cstr(iso, ctx, args[0]);
	const char *q = nullptr;

	pg_guard([&] { q = quote_identifier(s); });
	args.GetReturnValue().Set(js_str(iso, q));
}

static void
js_quote_literal(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1)
		return;
	char	   *s = js_to_cstr(iso, ctx, args[0]);
	char	   *q = nullptr;

	pg_guard([&] { q = quote_literal_cstr(s); });
	args.GetReturnValue().Set(js_str(iso, q));
}

static void
js_quote_nullable(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1 || args[0]->IsNull() || args[0]->IsUndefined())
	{
		args.GetReturnValue().Set(sym(iso, "NULL"));
		return;
	}
	char	   *s = js_to_cstr(iso, ctx, args[0]);
	char	   *q = nullptr;

	pg_guard([&] { q = quote_literal_cstr(s); });
	args.GetReturnValue().Set(js_str(iso, q));
}

/* ------------------------------------------------------------------------
 * Function compilation and cache
 * ------------------------------------------------------------------------ */
static ContextEntry *get_context_entry(Oid userid);
static ProcEntry *get_proc(Isolate *iso, Local<Context> ctx, ContextEntry *ce, Oid fn_oid,
						   bool validate);

/* Compile "(function (args) {\nbody\n})" in ctx; throws JsPending. */
static Local<Function>
compile_function(Isolate *iso, Local<Context> ctx, const char *name, int nargs,
				 char **argnames, const char *body, bool is_trigger)
{
	std::string src = "(function (";

	if (is_trigger)
		src += "NEW, OLD, TG_NAME, TG_WHEN, TG_LEVEL, TG_OP, TG_RELID, "
			"TG_TABLE_NAME, TG_TABLE_SCHEMA, TG_ARGV";
	else
		for (int i = 0; i < nargs; i++)
		{
			if (i > 0)
				src += ", ";
			if (argnames && argnames[i] && argnames[i][0])
				src += argnames[i];
			else
				src += "$" + std::to_string(i + 1);
		}
	src += ") {\n";
	src += body;
	src += "\n})";

	Local<v8::String> source = js_str(iso, src.c_str(), (int) src.size());
	v8::ScriptOrigin origin(iso, js_str(iso, name), -1, 0);
	Local<v8::Script> script;
	if (!v8::Script::Compile(ctx, source, &origin).ToLocal(&script))
		throw JsPending{};
	Local<Value> r;
	if (!script->Run(ctx).ToLocal(&r))
		throw JsPending{};
	if (!r->IsFunction())
		throw JsThrow{"function source did not compile to a function"};
	return r.As<Function>();
}

static Oid g_plv8_lang_oid = InvalidOid;

static ProcEntry *
get_proc(Isolate *iso, Local<Context> ctx, ContextEntry *ce, Oid fn_oid, bool validate)
{
	ProcEntry  *pe = nullptr;
	HeapTuple	tup = nullptr;
	bool		uptodate = false;
	char	   *prosrc = nullptr;
	char	  **argnames = nullptr;
	int			nargs = 0;

	auto it = ce->procs.find(fn_oid);
	if (it != ce->procs.end())
		pe = it->second;

	pg_guard([&] {
		tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u", fn_oid);
		if (pe && !pe->fn.IsEmpty() && pe->xmin == HeapTupleHeaderGetRawXmin(tup->t_data) &&
			ItemPointerEquals(&pe->tid, &tup->t_self))
		{
			uptodate = true;
			ReleaseSysCache(tup);
			return;
		}
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);

		if (isnull)
			elog(ERROR, "null prosrc");
		MemoryContext old = MemoryContextSwitchTo(g_cache_mcxt);

		if (!pe)
		{
			pe = (ProcEntry *) palloc0(sizeof(ProcEntry));
			new (&pe->fn) Global<Function>();
		}
		pe->fn_oid = fn_oid;
		pe->xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
		pe->tid = tup->t_self;
		pe->proname = pstrdup(NameStr(proc->proname));
		pe->retset = proc->proretset;
		pe->volatility = proc->provolatile;
		pe->is_trigger = (proc->prorettype == TRIGGEROID);
		prosrc = TextDatumGetCString(src);

		Oid		   *types;
		char	   *modes;
		char	  **names;
		int			total = get_func_arg_info(tup, &types, &names, &modes);

		pe->argtypes = (TypeInfo *) palloc0(sizeof(TypeInfo) * Max(total, 1));
		argnames = (char **) palloc0(sizeof(char *) * Max(total, 1));
		for (int i = 0; i < total; i++)
		{
			char		mode = modes ? modes[i] : PROARGMODE_IN;

			if (mode != PROARGMODE_IN && mode != PROARGMODE_INOUT &&
				mode != PROARGMODE_VARIADIC)
				continue;
			if (validate && get_typtype(types[i]) == TYPTYPE_PSEUDO)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("PL/v8 functions cannot accept type %s",
								format_type_be(types[i]))));
			fill_type(&pe->argtypes[nargs], types[i], g_cache_mcxt);
			argnames[nargs] = names ? names[i] : nullptr;
			nargs++;
		}
		pe->nargs = nargs;
		pe->ret_record = (proc->prorettype == RECORDOID);
		if (!pe->is_trigger && proc->prorettype != VOIDOID &&
			get_typtype(proc->prorettype) != TYPTYPE_PSEUDO)
			pe->rettype = new_type(proc->prorettype, g_cache_mcxt);
		else
			pe->rettype = nullptr;
		MemoryContextSwitchTo(old);
		ReleaseSysCache(tup);
	});

	if (uptodate)
		return pe;

	ce->procs[fn_oid] = pe;
	pe->fn.Reset();
	Local<Function> fn = compile_function(iso, ctx, pe->proname, pe->nargs, argnames,
										  prosrc, pe->is_trigger);

	pe->fn.Reset(iso, fn);
	return pe;
}

/* ------------------------------------------------------------------------
 * plv8.find_function(signature)
 * ------------------------------------------------------------------------ */
static void
js_find_function(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1)
		return;
	char	   *sig = js_to_cstr(iso, ctx, args[0]);
	Oid			funcoid = InvalidOid;

	pg_guard([&] {
		if (strchr(sig, '(') == NULL)
			funcoid = DatumGetObjectId(DirectFunctionCall1(regprocin, CStringGetDatum(sig)));
		else
			funcoid = DatumGetObjectId(DirectFunctionCall1(regprocedurein, CStringGetDatum(sig)));
		if (pg_proc_aclcheck(funcoid, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(funcoid));
		if (!OidIsValid(g_plv8_lang_oid))
			g_plv8_lang_oid = get_language_oid("plv8", false);
		HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u", funcoid);
		Oid			lang = ((Form_pg_proc) GETSTRUCT(tup))->prolang;

		ReleaseSysCache(tup);
		if (lang != g_plv8_lang_oid)
			elog(ERROR, "function %s is not a plv8 function", sig);
	});

	ContextEntry *ce = get_context_entry(GetUserId());
	if (ce->ctx.Get(iso) != ctx)
	{
		/* called from another context: look up in the current one */
		for (auto &kv : g_contexts)
			if (kv.second->ctx.Get(iso) == ctx)
			{
				ce = kv.second;
				break;
			}
	}
	ProcEntry  *pe = get_proc(iso, ctx, ce, funcoid, false);

	args.GetReturnValue().Set(pe->fn.Get(iso));
}

/* ------------------------------------------------------------------------
 * Isolate / context management
 * ------------------------------------------------------------------------ */
static void
watchdog_sigint(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (g_prev_sigint && g_prev_sigint != SIG_IGN && g_prev_sigint != SIG_DFL)
		g_prev_sigint(postgres_signal_arg);
	if (g_depth > 0)
	{
		g_cancel_requested = 1;
		sem_post(&g_sem);
	}
	errno = save_errno;
}

static void
watchdog_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (g_prev_sigterm && g_prev_sigterm != SIG_IGN && g_prev_sigterm != SIG_DFL)
		g_prev_sigterm(postgres_signal_arg);
	if (g_depth > 0)
	{
		g_cancel_requested = 1;
		sem_post(&g_sem);
	}
	errno = save_errno;
}

static std::atomic<Isolate *> g_watch_isolate{nullptr};

static void *
watchdog_main(void *)
{
	for (;;)
	{
		if (sem_wait(&g_sem) != 0)
			continue;
		Isolate    *iso = g_watch_isolate.load();

		if (iso && g_depth > 0)
			iso->TerminateExecution();
	}
	return nullptr;
}

static void
start_watchdog(void)
{
	if (g_watchdog_started)
		return;
	if (sem_init(&g_sem, 0, 0) != 0)
		elog(ERROR, "plv8_compat: sem_init failed: %m");

	sigset_t	all, old;
	pthread_t	th;
	pthread_attr_t attr;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int			rc = pthread_create(&th, &attr, watchdog_main, nullptr);

	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	if (rc != 0)
		elog(ERROR, "plv8_compat: could not start watchdog thread");
	g_prev_sigint = pqsignal(SIGINT, watchdog_sigint);
	g_prev_sigterm = pqsignal(SIGTERM, watchdog_sigterm);
	g_watchdog_started = true;
}

static size_t
near_heap_limit(void *data, size_t current, size_t initial)
{
	g_oom = true;
	if (g_isolate)
		g_isolate->TerminateExecution();
	/* give the engine room to unwind */
	return current + 64 * 1024 * 1024;
}

static void
v8_fatal(const char *location, const char *message)
{
	ereport(FATAL,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("plv8_compat: fatal V8 error in %s: %s",
					location ? location : "?", message ? message : "?")));
}

static void
v8_oom(const char *location, bool is_heap_oom)
{
	ereport(FATAL,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("plv8_compat: V8 out of memory in %s", location ? location : "?")));
}

static void
create_isolate(void)
{
	if (!g_v8_initialized)
	{
		const char *flags = "--single-threaded --no-expose-wasm";

		v8::V8::SetFlagsFromString(flags, strlen(flags));
		g_platform = v8::platform::NewSingleThreadedDefaultPlatform();
		v8::V8::InitializePlatform(g_platform.get());
		v8::V8::Initialize();
		g_allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
		g_cache_mcxt = AllocSetContextCreate(TopMemoryContext, "plv8_compat cache",
											 ALLOCSET_DEFAULT_SIZES);
		g_v8_initialized = true;
	}
	start_watchdog();

	Isolate::CreateParams params;

	params.array_buffer_allocator = g_allocator;
	params.constraints.ConfigureDefaultsFromHeapSize(0, (size_t) g_memory_limit_mb * 1024 * 1024);
	g_isolate = Isolate::New(params);
	g_isolate->AddNearHeapLimitCallback(near_heap_limit, nullptr);
	g_isolate->SetFatalErrorHandler(v8_fatal);
	g_isolate->SetOOMErrorHandler(v8_oom);
	g_oom = false;

	{
		Isolate::Scope is(g_isolate);
		HandleScope hs(g_isolate);
		Local<ObjectTemplate> global = ObjectTemplate::New(g_isolate);
		Local<ObjectTemplate> plv8 = ObjectTemplate::New(g_isolate);

		set_method(g_isolate, plv8, "elog", js_elog);
		set_method(g_isolate, plv8, "execute", js_execute);
		set_method(g_isolate, plv8, "subtransaction", js_subtransaction);
		set_method(g_isolate, plv8, "find_function", js_find_function);
		set_method(g_isolate, plv8, "quote_ident", js_quote_ident);
		set_method(g_isolate, plv8, "quote_literal", js_quote_literal);
		set_method(g_isolate, plv8, "quote_nullable", js_quote_nullable);

		struct { const char *name; int level; } levels[] = {
			{"DEBUG5", DEBUG5}, {"DEBUG4", DEBUG4}, {"DEBUG3", DEBUG3},
			{"DEBUG2", DEBUG2}, {"DEBUG1", DEBUG1}, {"DEBUG", DEBUG5},
			{"LOG", LOG}, {"INFO", INFO}, {"NOTICE", NOTICE},
			{"WARNING", WARNING}, {"ERROR", ERROR},
		};
		for (auto &l : levels)
		{
			plv8->Set(sym(g_isolate, l.name), v8::Integer::New(g_isolate, l.level),
					  v8::PropertyAttribute(v8::ReadOnly | v8::DontDelete));
			global->Set(sym(g_isolate, l.name), v8::Integer::New(g_isolate, l.level),
						v8::PropertyAttribute(v8::ReadOnly | v8::DontDelete));
		}
		global->Set(sym(g_isolate, "plv8"), plv8,
					v8::PropertyAttribute(v8::ReadOnly | v8::DontDelete));
		g_global_tmpl = new Global<ObjectTemplate>(g_isolate, global);
	}
	g_watch_isolate.store(g_isolate);
}

static void
dispose_isolate(void)
{
	if (!g_isolate)
		return;
	g_watch_isolate.store(nullptr);
	for (auto &kv : g_contexts)
	{
		ContextEntry *ce = kv.second;

		for (auto &p : ce->procs)
			p.second->fn.Reset();
		ce->procs.clear();
		ce->ctx.Reset();
		delete ce;
	}
	g_contexts.clear();
	if (g_global_tmpl)
	{
		g_global_tmpl->Reset();
		delete g_global_tmpl;
		g_global_tmpl = nullptr;
	}
	g_isolate->Dispose();
	g_isolate = nullptr;
	/* ProcEntry memory lives in g_cache_mcxt: reset it */
	MemoryContextReset(g_cache_mcxt);
}

static void
ensure_runtime(void)
{
	if (!g_isolate)
		create_isolate();
}

/* Called with Isolate::Scope and a HandleScope active. */
static ContextEntry *
get_context_entry(Oid userid)
{
	auto it = g_contexts.find(userid);
	if (it != g_contexts.end())
		return it->second;

	Isolate    *iso = g_isolate;
	Local<ObjectTemplate> tmpl = g_global_tmpl->Get(iso);
	Local<Context> ctx = Context::New(iso, nullptr, tmpl);

	if (ctx.IsEmpty())
		throw JsThrow{"could not create a JavaScript context"};
	ContextEntry *ce = new ContextEntry();
	ce->ctx.Reset(iso, ctx);
	g_contexts[userid] = ce;
	return ce;
}

/* ------------------------------------------------------------------------
 * Outcome of one top-level call, raised after V8 scopes are closed.
 * ------------------------------------------------------------------------ */
struct Outcome
{
	enum Kind { OK, PG, JS, MSG, TERMINATED } kind = OK;
	ErrorData  *edata = nullptr;
	int			code = 0;
	char	   *msg = nullptr;
	char	   *detail = nullptr;
	char	   *hint = nullptr;
	char	   *context = nullptr;
};

static char *
safe_cstr(Isolate *iso, Local<Context> ctx, Local<Value> v)
{
	TryCatch	tc(iso);
	Local<v8::String> s;

	if (!v->ToString(ctx).ToLocal(&s))
		return nullptr;
	try
	{
		return js_string_to_cstr(iso, s);
	}
	catch (...)
	{
		return nullptr;
	}
}

static void
capture_js_error(Isolate *iso, Local<Context> ctx, TryCatch &tc, Outcome *out)
{
	if (tc.HasTerminated() || iso->IsExecutionTerminating() || !tc.CanContinue())
	{
		out->kind = Outcome::TERMINATED;
		return;
	}
	out->kind = Outcome::JS;
	Local<Value> ex = tc.Exception();
	Local<v8::Message> message = tc.Message();

	if (ex.IsEmpty())
	{
		out->msg = pstrdup("unknown exception");
		return;
	}
	char	   *m = safe_cstr(iso, ctx, ex);

	if (!m)
		m = pstrdup("unknown exception");
	if (strncmp(m, "Error: ", 7) == 0)
		m += 7;
	out->msg = m;

	if (ex->IsObject())
	{
		TryCatch	inner(iso);
		Local<Object> o = ex.As<Object>();
		Local<Value> v;

		if (o->Get(ctx, sym(iso, "code")).ToLocal(&v) && !v->IsUndefined() && !v->IsNull())
		{
			int32		c;

			if (v->Int32Value(ctx).To(&c))
				out->code = c;
		}
		if (o->Get(ctx, sym(iso, "detail")).ToLocal(&v) && !v->IsUndefined() && !v->IsNull())
			out->detail = safe_cstr(iso, ctx, v);
		if (o->Get(ctx, sym(iso, "hint")).ToLocal(&v) && !v->IsUndefined() && !v->IsNull())
			out->hint = safe_cstr(iso, ctx, v);
		if (o->Get(ctx, sym(iso, "context")).ToLocal(&v) && !v->IsUndefined() && !v->IsNull())
			out->context = safe_cstr(iso, ctx, v);
	}
	if (!message.IsEmpty())
	{
		char	   *script = safe_cstr(iso, ctx, message->GetScriptResourceName());
		int			line = message->GetLineNumber(ctx).FromMaybe(0);
		Local<v8::String> srcline;
		char	   *src = nullptr;

		if (message->GetSourceLine(ctx).ToLocal(&srcline))
			src = safe_cstr(iso, ctx, srcline);
		if (script && line > 0 && strcmp(script, "undefined") != 0)
		{
			char	   *c = psprintf("%s() LINE %d: %s", script, line, src ? src : "?");

			out->context = out->context ? psprintf("%s\n%s", out->context, c) : c;
		}
	}
}

static void
capture_cxx(Isolate *iso, Local<Context> ctx, TryCatch &tc, Outcome *out)
{
	try
	{
		throw;
	}
	catch (PgError &e)
	{
		out->kind = Outcome::PG;
		out->edata = e.edata;
	}
	catch (JsPending &)
	{
		if (tc.HasCaught() || tc.HasTerminated())
			capture_js_error(iso, ctx, tc, out);
		else
		{
			out->kind = Outcome::MSG;
			out->msg = pstrdup("unknown JavaScript error");
		}
	}
	catch (JsThrow &e)
	{
		out->kind = Outcome::MSG;
		out->msg = pstrdup(e.msg);
	}
	catch (std::bad_alloc &)
	{
		out->kind = Outcome::MSG;
		out->msg = pstrdup("out of memory");
	}
	catch (...)
	{
		out->kind = Outcome::MSG;
		out->msg = pstrdup("internal error in plv8_compat");
	}
	if (iso->IsExecutionTerminating() || stopping())
		out->kind = Outcome::TERMINATED;
}

/* Raise the outcome (after all V8 scopes are closed). */
static void
raise_outcome(Outcome *out)
{
	switch (out->kind)
	{
		case Outcome::OK:
			return;
		case Outcome::PG:
			ReThrowError(out->edata);
			break;
		case Outcome::JS:
		case Outcome::MSG:
			ereport(ERROR,
					(out->code ? errcode(out->code) : 0,
					 errmsg("%s", out->msg),
					 out->detail ? errdetail("%s", out->detail) : 0,
					 out->hint ? errhint("%s", out->hint) : 0,
					 out->context ? errcontext("%s", out->context) : 0));
			break;
		case Outcome::TERMINATED:
			if (g_oom)
			{
				if (g_depth == 0)
					dispose_isolate();
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory"),
						 errdetail("JavaScript heap limit of plv8.memory_limit = %d MB exceeded",
								   g_memory_limit_mb)));
			}
			if (g_depth == 0 && g_isolate)
			{
				g_isolate->CancelTerminateExecution();
				g_cancel_requested = 0;
			}
			CHECK_FOR_INTERRUPTS();
			if (g_cancel_msg)
			{
				int			code = g_cancel_code;
				char	   *m = pstrdup(g_cancel_msg);

				if (g_depth == 0)
					forget_cancel_error();
				ereport(ERROR, (errcode(code), errmsg("%s", m)));
			}
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling statement due to user request"),
					 errdetail("JavaScript execution was terminated")));
			break;
	}
}

/* ------------------------------------------------------------------------
 * Calling a function
 * ------------------------------------------------------------------------ */
struct CallState
{
	FunctionCallInfo fcinfo;
	MemoryContext caller_mcxt;
	Datum		result;
	bool		isnull;
};

static void
call_trigger(Isolate *iso, Local<Context> ctx, ProcEntry *pe, CallState *cs)
{
	FunctionCallInfo fcinfo = cs->fcinfo;
	TriggerData *trig = (TriggerData *) fcinfo->context;
	Relation	rel = trig->tg_relation;
	TriggerEvent ev = trig->tg_event;
	TupleDesc	desc = RelationGetDescr(rel);
	Local<Value> argv[10];
	HeapTuple	orig = nullptr;
	TypeInfo   *cols = nullptr;

	for (auto &a : argv)
		a = v8::Undefined(iso);

	pg_guard([&] {
		if (TRIGGER_FIRED_FOR_ROW(ev))
		{
			cols = desc_types(desc, CurrentMemoryContext);
			if (TRIGGER_FIRED_BY_INSERT(ev))
			{
				orig = trig->tg_trigtuple;
				argv[0] = tuple_to_js(iso, ctx, trig->tg_trigtuple, desc, cols);
			}
			else if (TRIGGER_FIRED_BY_DELETE(ev))
			{
				orig = trig->tg_trigtuple;
				argv[1] = tuple_to_js(iso, ctx, trig->tg_trigtuple, desc, cols);
			}
			else if (TRIGGER_FIRED_BY_UPDATE(ev))
			{
				orig = trig->tg_newtuple;
				argv[0] = tuple_to_js(iso, ctx, trig->tg_newtuple, desc, cols);
				argv[1] = tuple_to_js(iso, ctx, trig->tg_trigtuple, desc, cols);
			}
		}
		argv[2] = js_str(iso, trig->tg_trigger->tgname);
		argv[3] = js_str(iso, TRIGGER_FIRED_BEFORE(ev) ? "BEFORE" :
						 TRIGGER_FIRED_AFTER(ev) ? "AFTER" : "INSTEAD OF");
		argv[4] = js_str(iso, TRIGGER_FIRED_FOR_ROW(ev) ? "ROW" : "STATEMENT");
		argv[5] = js_str(iso, TRIGGER_FIRED_BY_INSERT(ev) ? "INSERT" :
						 TRIGGER_FIRED_BY_DELETE(ev) ? "DELETE" :
						 TRIGGER_FIRED_BY_UPDATE(ev) ? "UPDATE" : "TRUNCATE");
		argv[6] = v8::Integer::NewFromUnsigned(iso, RelationGetRelid(rel));
		argv[7] = js_str(iso, RelationGetRelationName(rel));
		argv[8] = js_str(iso, get_namespace_name(RelationGetNamespace(rel)));
		Local<Array> tgargs = Array::New(iso, trig->tg_trigger->tgnargs);

		for (int i = 0; i < trig->tg_trigger->tgnargs; i++)
			if (tgargs->Set(ctx, i, js_str(iso, trig->tg_trigger->tgargs[i])).IsNothing()) {}
		argv[9] = tgargs;
	});

	Local<Value> r;
	if (!pe->fn.Get(iso)->Call(ctx, ctx->Global(), 10, argv).ToLocal(&r))
		throw JsPending{};

	cs->isnull = false;
	if (!TRIGGER_FIRED_FOR_ROW(ev) || r->IsNull())
		cs->result = PointerGetDatum(NULL);
	else if (r->IsUndefined() || TRIGGER_FIRED_AFTER(ev))
		cs->result = PointerGetDatum(orig);
	else
	{
		pg_guard([&] {
			MemoryContext old = MemoryContextSwitchTo(cs->caller_mcxt);

			try
			{
				cs->result = PointerGetDatum(js_to_tuple(iso, ctx, r, desc, cols, true));
			}
			catch (...)
			{
				MemoryContextSwitchTo(old);
				throw;
			}
			MemoryContextSwitchTo(old);
		});
	}
}

static void
call_function(Isolate *iso, Local<Context> ctx, ProcEntry *pe, CallState *cs)
{
	FunctionCallInfo fcinfo = cs->fcinfo;
	int			nargs = pe->nargs;
	std::vector<Local<Value>> argv(nargs);

	pg_guard([&] {
		for (int i = 0; i < nargs; i++)
			argv[i] = to_js(iso, ctx, fcinfo->args[i].value, fcinfo->args[i].isnull,
							&pe->argtypes[i]);
	});

	if (pe->retset)
		throw JsThrow{"set-returning functions are not supported by plv8_compat"};

	Local<Value> r;
	if (!pe->fn.Get(iso)->Call(ctx, ctx->Global(), nargs, argv.data()).ToLocal(&r))
		throw JsPending{};

	if (pe->ret_record)
	{
		cs->isnull = r->IsNull() || r->IsUndefined();
		cs->result = (Datum) 0;
		if (cs->isnull)
			return;
		pg_guard([&] {
			TupleDesc	td;

			if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("function returning record called in context "
								"that cannot accept type record")));
			MemoryContext old = MemoryContextSwitchTo(cs->caller_mcxt);

			try
			{
				td = BlessTupleDesc(CreateTupleDescCopy(td));
				TypeInfo   *cols = desc_types(td, CurrentMemoryContext);

				cs->result = HeapTupleGetDatum(js_to_tuple(iso, ctx, r, td, cols, false));
			}
			catch (...)
			{
				MemoryContextSwitchTo(old);
				throw;
			}
			MemoryContextSwitchTo(old);
		});
		return;
	}

	if (!pe->rettype)
	{
		/* void or other pseudo type */
		cs->result = (Datum) 0;
		cs->isnull = false;
		return;
	}
	pg_guard([&] {
		MemoryContext old = MemoryContextSwitchTo(cs->caller_mcxt);

		try
		{
			cs->result = to_datum(iso, ctx, r, pe->rettype, &cs->isnull);
		}
		catch (...)
		{
			MemoryContextSwitchTo(old);
			throw;
		}
		MemoryContextSwitchTo(old);
	});
}

/* The current role's context; when it cannot be made, fills `out` and returns nullptr. */
static ContextEntry *
context_for_call(Outcome *out)
{
	try
	{
		return get_context_entry(GetUserId());
	}
	catch (JsThrow &e)
	{
		out->kind = Outcome::MSG;
		out->msg = pstrdup(e.msg);
		return nullptr;
	}
}

/* Runs all V8 work of one call; never longjmps, never throws. */
static void
run_call(CallState *cs, Outcome *out)
{
	Isolate    *iso = g_isolate;
	Isolate::Scope is(iso);
	HandleScope hs(iso);
	ContextEntry *ce = context_for_call(out);

	if (ce == nullptr)
		return;
	Local<Context> ctx = ce->ctx.Get(iso);
	Context::Scope cscope(ctx);
	TryCatch	tc(iso);
	bool		saved_ro = g_read_only;

	g_depth++;
	try
	{
		ProcEntry  *pe = get_proc(iso, ctx, ce, cs->fcinfo->flinfo->fn_oid, false);

		g_read_only = (pe->volatility != PROVOLATILE_VOLATILE);
		if (CALLED_AS_TRIGGER(cs->fcinfo))
		{
			if (!pe->is_trigger)
				throw JsThrow{"trigger function called in a non-trigger context"};
			call_trigger(iso, ctx, pe, cs);
		}
		else
		{
			if (pe->is_trigger)
				throw JsThrow{"trigger functions can only be called as triggers"};
			call_function(iso, ctx, pe, cs);
		}
	}
	catch (...)
	{
		capture_cxx(iso, ctx, tc, out);
	}
	g_read_only = saved_ro;
	g_depth--;
}

static void
run_inline(const char *src, Outcome *out)
{
	Isolate    *iso = g_isolate;
	Isolate::Scope is(iso);
	HandleScope hs(iso);
	ContextEntry *ce = context_for_call(out);

	if (ce == nullptr)
		return;
	Local<Context> ctx = ce->ctx.Get(iso);
	Context::Scope cscope(ctx);
	TryCatch	tc(iso);
	bool		saved_ro = g_read_only;

	g_depth++;
	g_read_only = false;
	try
	{
		Local<Function> fn = compile_function(iso, ctx, "__plv8_inline", 0, nullptr, src, false);
		Local<Value> r;

		if (!fn->Call(ctx, ctx->Global(), 0, nullptr).ToLocal(&r))
			throw JsPending{};
	}
	catch (...)
	{
		capture_cxx(iso, ctx, tc, out);
	}
	g_read_only = saved_ro;
	g_depth--;
}

static void
run_validate(Oid fn_oid, Outcome *out)
{
	Isolate    *iso = g_isolate;
	Isolate::Scope is(iso);
	HandleScope hs(iso);
	ContextEntry *ce = context_for_call(out);

	if (ce == nullptr)
		return;
	Local<Context> ctx = ce->ctx.Get(iso);
	Context::Scope cscope(ctx);
	TryCatch	tc(iso);

	g_depth++;
	try
	{
		(void) get_proc(iso, ctx, ce, fn_oid, true);
	}
	catch (...)
	{
		capture_cxx(iso, ctx, tc, out);
	}
	g_depth--;
}

/* Common prologue/epilogue around a top-level V8 entry. */
static void
before_entry(void)
{
	CHECK_FOR_INTERRUPTS();
	ensure_runtime();
	if (g_depth == 0)
	{
		g_isolate->CancelTerminateExecution();
		g_cancel_requested = 0;
		forget_cancel_error();
	}
}

static void
after_entry(Outcome *out)
{
	if (g_depth == 0 && g_isolate)
	{
		if (g_oom)
			out->kind = Outcome::TERMINATED;
		else if (out->kind != Outcome::TERMINATED)
		{
			/* a cancel that raced with a normal return: PG handles it */
			g_isolate->CancelTerminateExecution();
			g_cancel_requested = 0;
			forget_cancel_error();
		}
	}
	raise_outcome(out);
}

Datum
plv8_call_handler(PG_FUNCTION_ARGS)
{
	CallState	cs;
	Outcome		out;

	before_entry();
	cs.fcinfo = fcinfo;
	cs.caller_mcxt = CurrentMemoryContext;
	cs.result = (Datum) 0;
	cs.isnull = false;

	bool		nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;

	if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_call(&cs, &out);
	after_entry(&out);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	fcinfo->isnull = cs.isnull;
	return cs.result;
}

Datum
plv8_inline_handler(PG_FUNCTION_ARGS)
{
	InlineCodeBlock *codeblock = (InlineCodeBlock *) DatumGetPointer(PG_GETARG_DATUM(0));
	Outcome		out;

	before_entry();
	if (SPI_connect_ext(codeblock->atomic ? 0 : SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_inline(codeblock->source_text, &out);
	after_entry(&out);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PG_RETURN_VOID();
}

Datum
plv8_call_validator(PG_FUNCTION_ARGS)
{
	Oid			fn_oid = PG_GETARG_OID(0);
	HeapTuple	tuple;
	Form_pg_proc proc;

	if (!CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, fn_oid))
		PG_RETURN_VOID();

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (get_typtype(proc->prorettype) == TYPTYPE_PSEUDO &&
		proc->prorettype != TRIGGEROID && proc->prorettype != VOIDOID &&
		proc->prorettype != RECORDOID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("PL/v8 functions cannot return type %s",
						format_type_be(proc->prorettype))));
	if (proc->prorettype == TRIGGEROID && proc->pronargs != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("trigger functions cannot have declared arguments")));
	ReleaseSysCache(tuple);

	if (!check_function_bodies)
		PG_RETURN_VOID();

	Outcome		out;

	before_entry();
	run_validate(fn_oid, &out);
	after_entry(&out);
	PG_RETURN_VOID();
}

Datum
plv8_version(PG_FUNCTION_ARGS)
{
	char	   *s = psprintf("plv8_compat %s (V8 %s)", PLV8_COMPAT_VERSION, v8::V8::GetVersion());

	PG_RETURN_TEXT_P(cstring_to_text(s));
}

void
_PG_init(void)
{
	DefineCustomIntVariable("plv8.memory_limit",
							"Per-backend JavaScript heap limit in MB (plv8_compat).",
							NULL,
							&g_memory_limit_mb,
							256, 16, 4096,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);
}
