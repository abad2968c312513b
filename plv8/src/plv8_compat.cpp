/*
 * plv8_compat: a PLV8-compatible procedural language handler for
 * PostgreSQL, built on the V8 engine shipped in Debian's libnode108.
 *
 * See plv8/README.md for the contract this file implements.  Where a rule
 * below says "as real PLV8", it was recorded from PLV8 3.1.10 / 3.2.2
 * (test/runtime/plv8-reference) or read in the upstream sources; the README
 * lists which is which, and every place where this runtime deliberately
 * differs.
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
 *
 * Interrupt discipline (a cancel is never swallowed):
 *   - SIGINT/SIGTERM while JS runs make the watchdog thread terminate JS.
 *   - An error raised inside PostgreSQL while a cancel is pending (statement
 *     or lock timeout, pg_cancel_backend, ...) is remembered, and the call
 *     that is running ends with that error whatever the JS does with it:
 *     plv8.* calls then terminate JS instead of throwing a catchable
 *     exception, and a normal return is turned into the remembered error.
 *   - Long conversions (big results, big strings, deep values) check for
 *     interrupts and for heap exhaustion as they go.
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
#include <stdlib.h>
#include <string.h>
#include <float.h>
#include <math.h>
#include <unistd.h>

#include "v8.h"
#include "libplatform/libplatform.h"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "windowapi.h"
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
#include "parser/parse_type.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
#include "common/shortest_dec.h"

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
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Global;
using v8::HandleScope;
using v8::EscapableHandleScope;
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
struct JsThrowString { const char *msg; };	/* throw 'msg' (real PLV8 throws strings there) */
struct Stop {};							/* cancel, terminate or heap exhaustion: end the call */

/* ------------------------------------------------------------------------
 * Per-backend state
 * ------------------------------------------------------------------------ */
class CountingAllocator;

static std::unique_ptr<v8::Platform> g_platform;
static bool g_v8_initialized = false;
static Isolate *g_isolate = nullptr;
static CountingAllocator *g_allocator = nullptr;
static size_t g_heap_limit = 0;			/* bytes, of the current isolate */
static volatile sig_atomic_t g_depth = 0;	/* nesting of plv8 calls */
static volatile bool g_oom = false;			/* heap limit hit */
static volatile sig_atomic_t g_cancel_requested = 0;	/* SIGINT/SIGTERM while in a call */
static ErrorData *g_interrupt_error = nullptr;	/* TopMemoryContext: the cancel's error */
static int	g_memory_limit_mb = 256;
static char *g_v8_flags = NULL;
static Global<ObjectTemplate> *g_global_tmpl = nullptr;
static Global<ObjectTemplate> *g_plan_tmpl = nullptr;
static Global<ObjectTemplate> *g_cursor_tmpl = nullptr;
static Global<ObjectTemplate> *g_window_tmpl = nullptr;
static uint64 g_generation = 1;			/* bumped when cached lookups may be stale */
static bool g_read_only = false;		/* statements of the running function are read-only */

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
	TypeInfo   *rettype;		/* void included; NULL for triggers */
	bool		is_trigger;
	bool		retset;
	bool		is_window;
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

/* What one FmgrInfo resolved last time (fn_extra): skips the lookups. */
struct CallCache
{
	uint64		generation;
	Oid			userid;
	ContextEntry *ce;
	ProcEntry  *pe;
};

/* ------------------------------------------------------------------------
 * pg_guard: run f; a PostgreSQL ERROR inside becomes a PgError exception.
 * f itself may throw C++ exceptions; they are rethrown after the PG_TRY
 * block is closed.  f must not own RAII objects (HandleScope, TryCatch,
 * std::string ...) across calls that can ereport.
 *
 * The copied ErrorData lives in g_error_mcxt, not in the memory context
 * that was current (which the unwinding may delete); that context is reset
 * when a new top-level call starts.
 * ------------------------------------------------------------------------ */
static MemoryContext g_error_mcxt = nullptr;

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
		MemoryContextSwitchTo(g_error_mcxt ? g_error_mcxt : ctx);
		edata = CopyErrorData();
		FlushErrorState();
		MemoryContextSwitchTo(ctx);
	}
	PG_END_TRY();

	/* SPI calls leave SPI's procedure context current: never let that leak out */
	MemoryContextSwitchTo(ctx);
	if (edata)
		throw PgError{edata};
	if (cxx)
		std::rethrow_exception(cxx);
}

/* ------------------------------------------------------------------------
 * Interrupts.  check_interrupts() is cheap (a few flag reads) and is called
 * in every loop that converts data, so that a cancel or the heap limit ends
 * the work promptly even when no JS is running.
 * ------------------------------------------------------------------------ */
static void interrupt_slow(void);

static inline bool
stopping(void)
{
	return g_cancel_requested || g_oom || g_interrupt_error != nullptr;
}

static inline void
check_interrupts(void)
{
	if (unlikely(stopping() || QueryCancelPending || ProcDiePending))
		interrupt_slow();
}

static void
interrupt_slow(void)
{
	if (g_oom || g_interrupt_error || ProcDiePending)
		throw Stop{};
	if (QueryCancelPending && QueryCancelHoldoffCount == 0 &&
		InterruptHoldoffCount == 0 && CritSectionCount == 0)
	{
		/* raises PostgreSQL's own error: 57014, 55P03, ... */
		pg_guard([] { CHECK_FOR_INTERRUPTS(); });
	}
	if (g_cancel_requested)
		throw Stop{};
}

/* Deep copy of an ErrorData into cxt (CopyErrorData only copies the current error). */
static ErrorData *
copy_error(const ErrorData *e, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ErrorData  *c = (ErrorData *) palloc(sizeof(ErrorData));

	memcpy(c, e, sizeof(ErrorData));
#define DUP(f) c->f = e->f ? pstrdup(e->f) : NULL
	DUP(message);
	DUP(detail);
	DUP(detail_log);
	DUP(hint);
	DUP(context);
	DUP(backtrace);
	DUP(schema_name);
	DUP(table_name);
	DUP(column_name);
	DUP(datatype_name);
	DUP(constraint_name);
	DUP(internalquery);
#undef DUP
	c->assoc_context = cxt;
	MemoryContextSwitchTo(old);
	return c;
}

static void
forget_interrupt_error(void)
{
	if (g_interrupt_error)
		FreeErrorData(g_interrupt_error);
	g_interrupt_error = nullptr;
}

/*
 * Is this error (raised inside a plv8.* call) the effect of an interrupt?
 * Then JS must not be able to catch it.  An ordinary SQL error stays
 * catchable, as on real PLV8.
 */
static inline bool
is_interrupt_error(const ErrorData *e)
{
	return g_cancel_requested || g_oom || ProcDiePending ||
		e->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		e->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN;
}

static void
remember_interrupt_error(const ErrorData *e)
{
	if (!g_interrupt_error)
		g_interrupt_error = copy_error(e, TopMemoryContext);
}

/* ------------------------------------------------------------------------
 * String helpers
 * ------------------------------------------------------------------------ */

/* A long UTF-8 text, 16 MB at a time (cut at character boundaries), checking interrupts. */
static Local<v8::String>
js_str_long(Isolate *iso, const char *s, int len)
{
	Local<v8::String> r = v8::String::Empty(iso);
	const int	chunk = 16 << 20;

	for (int pos = 0; pos < len;)
	{
		int			m = Min(chunk, len - pos);
		Local<v8::String> part;

		while (pos + m < len && m > 0 && (((unsigned char) s[pos + m]) & 0xC0) == 0x80)
			m--;
		if (m == 0)
			m = Min(chunk, len - pos);
		if (!v8::String::NewFromUtf8(iso, s + pos, v8::NewStringType::kNormal, m).ToLocal(&part))
			throw JsThrow{"string too long for JavaScript"};
		if (r->Length() + part->Length() > v8::String::kMaxLength)
			throw JsThrow{"string too long for JavaScript"};
		r = v8::String::Concat(iso, r, part);
		pos += m;
		check_interrupts();
	}
	return r;
}

static inline Local<v8::String>
js_str(Isolate *iso, const char *s, int len = -1)
{
	Local<v8::String> r;

	if (unlikely(len > (16 << 20)))
		return js_str_long(iso, s, len);
	if (!v8::String::NewFromUtf8(iso, s ? s : "", v8::NewStringType::kNormal,
								 len).ToLocal(&r))
		throw JsThrow{"string too long for JavaScript"};
	return r;
}

static inline Local<v8::String>
sym(Isolate *iso, const char *s)
{
	return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

static char *
alloc_utf8(size_t offset, size_t len)
{
	char	   *buf = (char *) palloc_extended(offset + len + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);

	if (!buf)
		throw JsThrow{"out of memory"};
	return buf;
}

#define UTF8_CHUNK (1 << 20)	/* characters converted between interrupt checks */

/* Long strings: chunk by chunk, checking for interrupts in between. */
static char *
js_utf8_long(Isolate *iso, Local<v8::String> s, size_t offset, size_t *len_out)
{
	int			n = s->Length();
	char	   *buf;
	char	   *out = nullptr;
	size_t		total = 0;

	if (s->IsOneByte())
	{
		uint8	   *tmp = (uint8 *) alloc_utf8(0, UTF8_CHUNK);

		/* Latin-1: one UTF-8 byte below 0x80, two above */
		for (int pos = 0; pos < n; pos += UTF8_CHUNK)
		{
			int			m = Min(UTF8_CHUNK, n - pos);

			s->WriteOneByte(iso, tmp, pos, m, v8::String::NO_NULL_TERMINATION);
			for (int i = 0; i < m; i++)
				total += 1 + (tmp[i] >> 7);
			check_interrupts();
		}
		out = buf = alloc_utf8(offset, total);
		out += offset;
		for (int pos = 0; pos < n; pos += UTF8_CHUNK)
		{
			int			m = Min(UTF8_CHUNK, n - pos);

			s->WriteOneByte(iso, tmp, pos, m, v8::String::NO_NULL_TERMINATION);
			if (total == (size_t) n)
			{
				memcpy(out, tmp, m);
				out += m;
			}
			else
				for (int i = 0; i < m; i++)
				{
					uint8		c = tmp[i];

					if (c < 0x80)
						*out++ = (char) c;
					else
					{
						*out++ = (char) (0xC0 | (c >> 6));
						*out++ = (char) (0x80 | (c & 0x3F));
					}
				}
			check_interrupts();
		}
		pfree(tmp);
	}
	else
	{
		uint16_t   *tmp = (uint16_t *) alloc_utf8(0, (UTF8_CHUNK + 1) * sizeof(uint16_t));

		/* UTF-16: a lone surrogate becomes U+FFFD, as REPLACE_INVALID_UTF8 */
		for (int pass = 0; pass < 2; pass++)
		{
			if (pass == 1)
				out = (buf = alloc_utf8(offset, total)) + offset;
			for (int pos = 0; pos < n;)
			{
				/* one unit more, so that a pair is never split between chunks */
				int			m = Min(UTF8_CHUNK + 1, n - pos);
				int			used;

				s->Write(iso, tmp, pos, m, v8::String::NO_NULL_TERMINATION);
				used = m > UTF8_CHUNK ? UTF8_CHUNK : m;
				for (int i = 0; i < used; i++)
				{
					uint32		c = tmp[i];

					if (c >= 0xD800 && c <= 0xDBFF && i + 1 < m && tmp[i + 1] >= 0xDC00 && tmp[i + 1] <= 0xDFFF)
					{
						c = 0x10000 + ((c - 0xD800) << 10) + (tmp[i + 1] - 0xDC00);
						i++;
						if (i == used)
							used++;
					}
					else if (c >= 0xD800 && c <= 0xDFFF)
						c = 0xFFFD;
					if (pass == 0)
						total += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
					else if (c < 0x80)
						*out++ = (char) c;
					else if (c < 0x800)
					{
						*out++ = (char) (0xC0 | (c >> 6));
						*out++ = (char) (0x80 | (c & 0x3F));
					}
					else if (c < 0x10000)
					{
						*out++ = (char) (0xE0 | (c >> 12));
						*out++ = (char) (0x80 | ((c >> 6) & 0x3F));
						*out++ = (char) (0x80 | (c & 0x3F));
					}
					else
					{
						*out++ = (char) (0xF0 | (c >> 18));
						*out++ = (char) (0x80 | ((c >> 12) & 0x3F));
						*out++ = (char) (0x80 | ((c >> 6) & 0x3F));
						*out++ = (char) (0x80 | (c & 0x3F));
					}
				}
				pos += used;
				check_interrupts();
			}
		}
		pfree(tmp);
	}
	buf[offset + total] = '\0';
	*len_out = total;
	return buf;
}

/*
 * Write a JS string as UTF-8 into palloc'd memory (offset bytes reserved at
 * the front, a NUL appended).  Lone surrogates become U+FFFD.  Never
 * ereports: allocation failure is a C++ exception.
 */
static char *
js_utf8(Isolate *iso, Local<v8::String> s, size_t offset, size_t *len_out)
{
	int			units = s->Length();

	if (units > UTF8_CHUNK)
		return js_utf8_long(iso, s, offset, len_out);
	if (units <= 1024)
	{
		/* at most 3 bytes a UTF-16 unit: one pass, no length count first */
		char	   *buf = alloc_utf8(offset, (size_t) units * 3);
		int			n = s->WriteUtf8(iso, buf + offset, units * 3, nullptr,
									 v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);

		buf[offset + n] = '\0';
		*len_out = (size_t) n;
		return buf;
	}

	int			len = s->Utf8Length(iso);
	char	   *buf = alloc_utf8(offset, (size_t) len);

	s->WriteUtf8(iso, buf + offset, len, nullptr,
				 v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
	buf[offset + len] = '\0';
	*len_out = (size_t) len;
	return buf;
}

/* A JS string as a palloc'd C string. */
static char *
js_string_to_cstr(Isolate *iso, Local<v8::String> s)
{
	size_t		len;

	return js_utf8(iso, s, 0, &len);
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

/* ------------------------------------------------------------------------
 * Type information, as real PLV8's plv8_fill_type: the type category
 * decides arrays ('A') and composites ('C'); scalar conversions match the
 * exact type OID, so a domain converts through its text form.
 * ------------------------------------------------------------------------ */
struct TypeInfo
{
	Oid			typid;
	char		category;
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

static TypeInfo *new_type(Oid typid, MemoryContext mcxt);

/* Must be called under pg_guard (or outside V8). */
static void
fill_type(TypeInfo *t, Oid typid, MemoryContext mcxt)
{
	bool		preferred;

	memset(t, 0, sizeof(*t));
	t->typid = typid;
	t->mcxt = mcxt;
	get_type_category_preferred(typid, &t->category, &preferred);
	get_typlenbyvalalign(typid, &t->len, &t->byval, &t->align);
	t->is_composite = (t->category == TYPCATEGORY_COMPOSITE);
	if (t->category == TYPCATEGORY_ARRAY)
	{
		Oid			elem = get_element_type(typid);

		if (!OidIsValid(elem))
			ereport(ERROR,
					(errmsg("cannot determine element type of array: %u", typid)));
		t->is_array = true;
		t->elem = new_type(elem, mcxt);
	}
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
	return InputFunctionCall(&t->fn_in, s, t->ioparam, -1);
}

/* Column types of a row type; dropped columns are left zeroed. */
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

/* ------------------------------------------------------------------------
 * ArrayBuffer memory counts against plv8.memory_limit, together with the
 * JS heap (as real PLV8's allocator does): a buffer that would exceed it is
 * refused, and JS sees "RangeError: Array buffer allocation failed".
 * ------------------------------------------------------------------------ */
class CountingAllocator : public v8::ArrayBuffer::Allocator
{
  public:
	size_t		allocated = 0;

	bool reserve(size_t len)
	{
		size_t		limit = g_heap_limit;

		if (len > limit || allocated + len > limit)
			return false;
		if (len >= ((size_t) 1 << 20) && g_isolate)
		{
			v8::HeapStatistics hs;

			g_isolate->GetHeapStatistics(&hs);
			if (hs.used_heap_size() + allocated + len > limit)
				return false;
		}
		allocated += len;
		return true;
	}
	void release(size_t len)
	{
		allocated = len > allocated ? 0 : allocated - len;
	}
	void *Allocate(size_t len) override
	{
		if (!reserve(len))
			return nullptr;
		void	   *p = calloc(len ? len : 1, 1);

		if (!p)
			release(len);
		return p;
	}
	void *AllocateUninitialized(size_t len) override
	{
		if (!reserve(len))
			return nullptr;
		void	   *p = malloc(len ? len : 1);

		if (!p)
			release(len);
		return p;
	}
	void Free(void *data, size_t len) override
	{
		free(data);
		release(len);
	}
};

static void
free_backing(void *data, size_t len, void *)
{
	free(data);
	if (g_allocator)
		g_allocator->release(len);
}

/* A Uint8Array holding a copy of len bytes, counted like any ArrayBuffer. */
static Local<Value>
new_uint8array(Isolate *iso, const char *data, size_t len)
{
	if (!g_allocator->reserve(len))
		throw JsThrow{"Array buffer allocation failed"};
	void	   *mem = malloc(len ? len : 1);

	if (!mem)
	{
		g_allocator->release(len);
		throw JsThrow{"out of memory"};
	}
	if (len)
		memcpy(mem, data, len);
	std::unique_ptr<v8::BackingStore> bs =
		v8::ArrayBuffer::NewBackingStore(mem, len, free_backing, nullptr);
	Local<v8::ArrayBuffer> buf = v8::ArrayBuffer::New(iso, std::move(bs));

	return v8::Uint8Array::New(buf, 0, len);
}

/* ------------------------------------------------------------------------
 * PostgreSQL values to JS values (real PLV8's ToValue)
 * ------------------------------------------------------------------------ */
static const double kEpochOffsetMs = 946684800000.0;	/* 2000-01-01 in Unix ms */

static Local<Value> to_js(Isolate *iso, Local<Context> ctx, Datum d, bool isnull, TypeInfo *t);
static Datum to_datum(Isolate *iso, Local<Context> ctx, Local<Value> v, TypeInfo *t, bool *isnull);

/*
 * Converts the rows of one tuple descriptor: column names are made once.
 * All of it runs under pg_guard and allocates in CurrentMemoryContext.
 */
struct RowReader
{
	TupleDesc	desc;
	TypeInfo   *cols;
	Local<v8::String> *names;

	void init(Isolate *iso, TupleDesc d)
	{
		desc = d;
		cols = desc_types(d, CurrentMemoryContext);
		names = (Local<v8::String> *) palloc0(sizeof(Local<v8::String>) * Max(d->natts, 1));
		for (int c = 0; c < d->natts; c++)
		{
			Form_pg_attribute att = TupleDescAttr(d, c);

			if (!att->attisdropped)
				names[c] = js_str(iso, NameStr(att->attname));
		}
	}

	Local<Object> row(Isolate *iso, Local<Context> ctx, HeapTuple tuple)
	{
		Local<Object> obj = Object::New(iso);

		for (int c = 0; c < desc->natts; c++)
		{
			bool		isnull;
			Datum		d;

			if (TupleDescAttr(desc, c)->attisdropped)
				continue;
			d = heap_getattr(tuple, c + 1, desc, &isnull);
			if (obj->Set(ctx, names[c], to_js(iso, ctx, d, isnull, &cols[c])).IsNothing())
				throw JsPending{};
		}
		return obj;
	}
};

static Local<Value>
record_to_js(Isolate *iso, Local<Context> ctx, Datum d)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(d);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
											  HeapTupleHeaderGetTypMod(th));
	HeapTupleData tuple;
	Local<Object> obj;

	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	/* ReleaseTupleDesc must not be skipped: convert, then release */
	try
	{
		RowReader	rr;

		rr.init(iso, desc);
		obj = rr.row(iso, ctx, &tuple);
	}
	catch (...)
	{
		ReleaseTupleDesc(desc);
		throw;
	}
	ReleaseTupleDesc(desc);
	return obj;
}

/*
 * numeric to float8 as numeric_float8 does (through its text), with a fast
 * path for integers of the short format up to 2^53, whose float8 is exact.
 * The short format is numeric's on-disk format (numeric.c), which cannot
 * change without breaking pg_upgrade.
 */
static double
numeric_to_double(Numeric num)
{
	const char *p = VARDATA_ANY(num);
	size_t		size = VARSIZE_ANY_EXHDR(num);
	uint16		header;

	if (size >= sizeof(uint16))
	{
		memcpy(&header, p, sizeof(uint16));
		/* short (0x8000) but not special (0xC000), display scale 0 */
		if ((header & 0xC000) == 0x8000 && (header & 0x1F80) == 0)
		{
			int			weight = (header & 0x0040) ? (int) (~0x003F | (header & 0x003F)) : (int) (header & 0x003F);
			int			ndigits = (int) ((size - sizeof(uint16)) / sizeof(int16));
			const char *digits = p + sizeof(uint16);

			if (ndigits == 0)
				return 0.0;
			if (weight >= 0 && weight <= 3)
			{
				int64		v = 0;

				for (int i = 0; i <= weight; i++)
				{
					int16		d = 0;

					if (i < ndigits)
						memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
					v = v * 10000 + d;
				}
				if (v <= ((int64) 1 << 53))
					return (header & 0x2000) ? -(double) v : (double) v;
			}
		}
	}
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(num)));
}

/* jsonb to JS, as real PLV8 built with JSONB_DIRECT_CONVERSION. */
static Local<Value>
jsonb_scalar_to_js(Isolate *iso, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return v8::Null(iso);
		case jbvString:
			return js_str(iso, v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return v8::Number::New(iso, numeric_to_double(v->val.numeric));
		case jbvBool:
			return v8::Boolean::New(iso, v->val.boolean);
		default:
			elog(ERROR, "unknown jsonb scalar type");
	}
	return v8::Null(iso);
}

/* A container being read: its keys and values, made into a JS value at its end. */
struct JsonbFrame
{
	bool		is_array;
	bool		slow;			/* a "__proto__" key: build with Set, as real PLV8 */
	int			n;
	int			cap;
	Local<v8::Name> *keys;
	Local<Value> *vals;
	Local<v8::Name> pending_key;
};

static void
frame_push(JsonbFrame *f, Local<Value> v)
{
	if (f->n == f->cap)
	{
		f->cap *= 2;
		f->vals = (Local<Value> *) repalloc_huge(f->vals, sizeof(Local<Value>) * f->cap);
		if (!f->is_array)
			f->keys = (Local<v8::Name> *) repalloc_huge(f->keys, sizeof(Local<v8::Name>) * f->cap);
	}
	if (!f->is_array)
		f->keys[f->n] = f->pending_key;
	f->vals[f->n++] = v;
}

static Local<Value>
frame_value(Isolate *iso, Local<Context> ctx, JsonbFrame *f, Local<Value> proto)
{
	if (f->is_array)
		return Array::New(iso, f->vals, f->n);
	if (!f->slow)
		return Object::New(iso, proto, f->keys, f->vals, f->n);
	Local<Object> o = Object::New(iso);

	for (int i = 0; i < f->n; i++)
		if (o->Set(ctx, f->keys[i], f->vals[i]).IsNothing())
			throw JsPending{};
	return o;
}

static Local<Value>
jsonb_to_js(Isolate *iso, Local<Context> ctx, Jsonb *jb)
{
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue	v;

		if (!JsonbExtractScalar(&jb->root, &v))
			elog(ERROR, "invalid jsonb scalar");
		return jsonb_scalar_to_js(iso, &v);
	}

	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0,
				cap = 8;
	JsonbFrame *stack = (JsonbFrame *) palloc(sizeof(JsonbFrame) * cap);
	Local<Value> result;
	Local<Value> proto = Object::New(iso)->GetPrototype();
	uint32		n = 0;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if ((++n & 1023) == 0)
			check_interrupts();
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
			case WJB_BEGIN_OBJECT:
				{
					bool		is_array = (tok == WJB_BEGIN_ARRAY);
					int			size = is_array ? v.val.array.nElems : v.val.object.nPairs;
					JsonbFrame *f;

					if (depth == cap)
					{
						cap *= 2;
						stack = (JsonbFrame *) repalloc(stack, sizeof(JsonbFrame) * cap);
					}
					f = &stack[depth++];
					f->is_array = is_array;
					f->slow = false;
					f->n = 0;
					f->cap = Max(size, 4);
					f->vals = (Local<Value> *) palloc_extended(sizeof(Local<Value>) * f->cap, MCXT_ALLOC_HUGE);
					f->keys = is_array ? nullptr :
						(Local<v8::Name> *) palloc_extended(sizeof(Local<v8::Name>) * f->cap, MCXT_ALLOC_HUGE);
					break;
				}
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				{
					Local<Value> c = frame_value(iso, ctx, &stack[--depth], proto);

					if (depth == 0)
						result = c;
					else
						frame_push(&stack[depth - 1], c);
					break;
				}
			case WJB_KEY:
				{
					JsonbFrame *f = &stack[depth - 1];

					if (v.val.string.len == 9 && memcmp(v.val.string.val, "__proto__", 9) == 0)
						f->slow = true;
					/* internalized, as JSON.parse makes property keys */
					if (!v8::String::NewFromUtf8(iso, v.val.string.val, v8::NewStringType::kInternalized,
												 v.val.string.len).ToLocal(&f->pending_key))
						throw JsThrow{"string too long for JavaScript"};
					break;
				}
			case WJB_VALUE:
			case WJB_ELEM:
				frame_push(&stack[depth - 1], jsonb_scalar_to_js(iso, &v));
				break;
			default:
				elog(ERROR, "unknown jsonb iterator token");
		}
	}
	return result.IsEmpty() ? Local<Value>(v8::Null(iso)) : result;
}

static Local<Value>
json_parse(Isolate *iso, Local<Context> ctx, const char *s, int len)
{
	Local<Value> r;
	if (!v8::JSON::Parse(ctx, js_str(iso, s, len)).ToLocal(&r))
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
		{
			if ((i & 1023) == 1023)
				check_interrupts();
			if (result->Set(ctx, i, to_js(iso, ctx, elems[i], nulls[i], et)).IsNothing())
				throw JsPending{};
		}
		return result;
	}

	if (t->is_composite || t->typid == RECORDOID)
		return record_to_js(iso, ctx, d);

	switch (t->typid)
	{
		case OIDOID:
			return v8::Integer::NewFromUnsigned(iso, DatumGetObjectId(d));
		case BOOLOID:
			return v8::Boolean::New(iso, DatumGetBool(d));
		case INT2OID:
			return v8::Integer::New(iso, DatumGetInt16(d));
		case INT4OID:
			return v8::Integer::New(iso, DatumGetInt32(d));
		case INT8OID:
			return v8::BigInt::New(iso, DatumGetInt64(d));
		case FLOAT4OID:
			return v8::Number::New(iso, DatumGetFloat4(d));
		case FLOAT8OID:
			return v8::Number::New(iso, DatumGetFloat8(d));
		case NUMERICOID:
			return v8::Number::New(iso, DatumGetFloat8(DirectFunctionCall1(numeric_float8, d)));
		case DATEOID:
			{
				Local<Value> r;

				if (!v8::Date::New(ctx, (double) DatumGetDateADT(d) * 86400000.0 + kEpochOffsetMs).ToLocal(&r))
					throw JsPending{};
				return r;
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				Local<Value> r;

				if (!v8::Date::New(ctx, (double) DatumGetTimestampTz(d) / 1000.0 + kEpochOffsetMs).ToLocal(&r))
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
		case BYTEAOID:
			{
				bytea	   *p = DatumGetByteaPP(d);

				return new_uint8array(iso, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
			}
		case JSONOID:
			{
				text	   *p = DatumGetTextPP(d);

				return json_parse(iso, ctx, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
			}
		case JSONBOID:
			return jsonb_to_js(iso, ctx, DatumGetJsonbP(d));
		default:
			return js_str(iso, type_output(t, d));
	}
}

/* ------------------------------------------------------------------------
 * JS values to PostgreSQL values (real PLV8's ToDatum)
 * ------------------------------------------------------------------------ */

/* Guard deep or cyclic values: PostgreSQL's own stack check, as an ERROR. */
static inline void
check_depth(void)
{
	if (unlikely(stack_is_too_deep()))
		pg_guard([] { check_stack_depth(); });
}

/*
 * JS to jsonb, as real PLV8 built with JSONB_DIRECT_CONVERSION (the
 * upstream default): not through JSON text.
 *   - a string, number or boolean at the top becomes a jsonb scalar (so a
 *     string holding JSON text stays a jsonb *string*);
 *   - object properties and array elements that are undefined are dropped;
 *   - a Date as an object property becomes its ISO string (null if invalid),
 *     any other object (a Date elsewhere, a function, a boxed primitive)
 *     becomes an object of its own enumerable properties;
 *   - numbers: int32 and uint32 exactly, others through float8_numeric
 *     (15 significant digits; NaN and +-Infinity become numeric NaN and
 *     +-Infinity); a BigInt becomes a string.
 */
static void jsonb_push(Isolate *iso, Local<Context> ctx, JsonbParseState **ps, Local<Value> v,
					   JsonbIteratorToken tok);

static void
jsonb_string(Isolate *iso, Local<v8::String> s, JsonbValue *jv)
{
	size_t		len;
	char	   *buf = js_utf8(iso, s, 0, &len);

	if (memchr(buf, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("unsupported Unicode escape sequence"),
				 errdetail("\\u0000 cannot be converted to text.")));
	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string too long to represent as jsonb string")));
	jv->type = jbvString;
	jv->val.string.val = buf;
	jv->val.string.len = (int) len;
}

/* An ISO 8601 UTC string with milliseconds, as real PLV8's TimeAs8601. */
static char *
iso8601(double ms)
{
	time_t		t = (time_t) (ms / 1000);
	struct tm	tmv;
	char		tmp[64];
	double		integral;
	double		fractional = modf(ms / 1000, &integral);

	gmtime_r(&t, &tmv);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tmv);
	return psprintf("%s.%03dZ", tmp, (int) (fractional * 1000));
}

/*
 * float8_numeric(x): x rounded to 15 significant digits.  When the shortest
 * text that reads back as x has at most 15 digits, that text is the
 * 15-digit rounding (a float8 is closer to it than half a unit of the 15th
 * digit), so numeric_in can read it directly, skipping printf.
 */
static Numeric
float8_to_numeric15(double x)
{
	/* (not for subnormals, whose precision is below 15 digits) */
	if (isfinite(x) && fabs(x) >= DBL_MIN)
	{
		char		buf[32];
		int			len = double_to_shortest_decimal_bufn(x, buf);
		int			digits = 0;
		bool		leading = true;

		buf[len] = '\0';
		for (int i = 0; i < len && buf[i] != 'e' && buf[i] != 'E'; i++)
		{
			if (buf[i] < '0' || buf[i] > '9')
				continue;
			if (leading && buf[i] == '0')
				continue;
			leading = false;
			digits++;
		}
		if (digits <= 15)
			return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
													   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	return DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(x)));
}

static void
jsonb_scalar(Isolate *iso, Local<Context> ctx, Local<Value> v, JsonbValue *jv)
{
	if (v->IsBoolean())
	{
		jv->type = jbvBool;
		jv->val.boolean = v->BooleanValue(iso);
	}
	else if (v->IsNull())
		jv->type = jbvNull;
	else if (v->IsString())
		jsonb_string(iso, v.As<v8::String>(), jv);
	else if (v->IsNumber())
	{
		double		x = v.As<v8::Number>()->Value();

		jv->type = jbvNumeric;
		/*
		 * int32 and uint32 exactly, other numbers as float8_numeric (15
		 * significant digits), which for an integer below 1e15 is that
		 * integer exactly: then skip its text round trip.
		 */
		if (x == trunc(x) && fabs(x) < 1e15)
			jv->val.numeric = int64_to_numeric((int64) x);
		else
			jv->val.numeric = float8_to_numeric15(x);
	}
	else if (v->IsDate())
	{
		double		ms = v.As<v8::Date>()->ValueOf();

		if (isnan(ms))
			jv->type = jbvNull;
		else
		{
			jv->type = jbvString;
			jv->val.string.val = iso8601(ms);
			jv->val.string.len = strlen(jv->val.string.val);
		}
	}
	else
	{
		/* BigInt (and anything else that is not an object): its string */
		Local<v8::String> s;

		if (!v->ToString(ctx).ToLocal(&s))
			throw JsPending{};
		jsonb_string(iso, s, jv);
	}
}

/*
 * The own enumerable string keys of o, as GetOwnPropertyNames() lists them.
 * The original Object.keys (kept in the context's embedder data when the
 * context was made, before any user code) gives the same list through V8's
 * fast key collection; the API call always takes the slow path.
 */
#define EMBEDDER_OBJECT_KEYS 1

static MaybeLocal<Array>
own_keys(Local<Context> ctx, Local<Object> o)
{
	Local<Value> f = ctx->GetEmbedderData(EMBEDDER_OBJECT_KEYS);
	Local<Value> arg = o;
	Local<Value> r;

	if (!f->IsFunction())
		return o->GetOwnPropertyNames(ctx);
	if (!f.As<Function>()->Call(ctx, v8::Undefined(ctx->GetIsolate()), 1, &arg).ToLocal(&r))
		return MaybeLocal<Array>();
	return r.As<Array>();
}

/*
 * Keys repeat (an array of objects of one shape): the UTF-8 of the last keys
 * seen in one conversion is kept, found by identity of the (internalized)
 * key string.  The bytes are shared: pushJsonbValue only keeps a pointer,
 * and JsonbValueToJsonb copies them.
 */
struct KeyCache
{
	static const int size = 32;
	Local<Value> key[size];
	JsonbValue	val[size];
	int			used;
	int			next;
};

static KeyCache *g_keys = nullptr;

static void
jsonb_key(Isolate *iso, Local<Context> ctx, Local<Value> k, JsonbValue *kv)
{
	KeyCache   *c = g_keys;

	if (c)
		for (int i = 0; i < c->used; i++)
			if (c->key[i] == k)
			{
				*kv = c->val[i];
				return;
			}
	Local<v8::String> ks;

	if (!k->ToString(ctx).ToLocal(&ks))
		throw JsPending{};
	jsonb_string(iso, ks, kv);
	if (c)
	{
		int			slot = c->next;

		c->next = (c->next + 1) % KeyCache::size;
		if (c->used < KeyCache::size)
			c->used++;
		c->key[slot] = k;
		c->val[slot] = *kv;
	}
}

static JsonbValue *
jsonb_push_object(Isolate *iso, Local<Context> ctx, JsonbParseState **ps, Local<Object> o)
{
	Local<Array> keys;

	check_depth();
	if (!own_keys(ctx, o).ToLocal(&keys))
		throw JsPending{};
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	uint32		n = keys->Length();

	for (uint32 i = 0; i < n; i++)
	{
		Local<Value> k,
					v;

		if ((i & 1023) == 1023)
			check_interrupts();
		if (!keys->Get(ctx, i).ToLocal(&k) || !o->Get(ctx, k).ToLocal(&v))
			throw JsPending{};
		if (v->IsUndefined())
			continue;
		JsonbValue	kv;

		jsonb_key(iso, ctx, k, &kv);
		pushJsonbValue(ps, WJB_KEY, &kv);
		if (v->IsDate())
		{
			JsonbValue	sv;

			jsonb_scalar(iso, ctx, v, &sv);
			pushJsonbValue(ps, WJB_VALUE, &sv);
		}
		else
			jsonb_push(iso, ctx, ps, v, WJB_VALUE);
	}
	return pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

static JsonbValue *
jsonb_push_array(Isolate *iso, Local<Context> ctx, JsonbParseState **ps, Local<Array> a)
{
	check_depth();
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	uint32		n = a->Length();

	for (uint32 i = 0; i < n; i++)
	{
		Local<Value> e;

		if ((i & 1023) == 1023)
			check_interrupts();
		if (!a->Get(ctx, i).ToLocal(&e))
			throw JsPending{};
		if (e->IsUndefined())
			continue;
		jsonb_push(iso, ctx, ps, e, WJB_ELEM);
	}
	return pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

static void
jsonb_push(Isolate *iso, Local<Context> ctx, JsonbParseState **ps, Local<Value> v,
		   JsonbIteratorToken tok)
{
	if (v->IsArray())
		jsonb_push_array(iso, ctx, ps, v.As<Array>());
	else if (v->IsObject())
		jsonb_push_object(iso, ctx, ps, v.As<Object>());
	else
	{
		JsonbValue	sv;

		jsonb_scalar(iso, ctx, v, &sv);
		pushJsonbValue(ps, tok, &sv);
	}
}

/*
 * A conversion's scratch memory (pushJsonbValue's tree and the UTF-8 of the
 * strings) is dropped once the jsonb is built.  A backend keeps one arena for
 * it, reset after each conversion, whose first JSONB_ARENA_KEEP bytes stay
 * allocated: a fresh context per conversion handed its blocks back to malloc,
 * which returned them to the kernel, and the next conversion faulted them in
 * again (on a 326 KB result that cost ten times the conversion itself).  A
 * conversion inside a conversion (a getter running plv8 code) and one after
 * an error left the arena in use take a context of their own, as before; the
 * end of the transaction resets the arena in any case.  (Not before_entry(),
 * which clears the call state an error may leave behind: an arena left in use
 * holds what the failed conversion had built, and that goes back when its
 * transaction ends, not at the backend's next plv8 call.)
 */
#define JSONB_ARENA_KEEP (2 * 1024 * 1024)

static MemoryContext g_jsonb_arena = NULL;
static bool g_jsonb_arena_busy = false;

static void
jsonb_arena_xact(XactEvent event, void *arg)
{
	if (g_jsonb_arena_busy && (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
							   event == XACT_EVENT_PARALLEL_COMMIT ||
							   event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PREPARE))
	{
		MemoryContextReset(g_jsonb_arena);
		g_jsonb_arena_busy = false;
	}
}

static MemoryContext
jsonb_work_context(bool *arena)
{
	*arena = !g_jsonb_arena_busy;
	if (!*arena)
		return AllocSetContextCreate(CurrentMemoryContext, "plv8 jsonb", ALLOCSET_DEFAULT_SIZES);
	if (g_jsonb_arena == NULL)
		g_jsonb_arena = AllocSetContextCreate(TopMemoryContext, "plv8 jsonb arena",
											  JSONB_ARENA_KEEP, JSONB_ARENA_KEEP,
											  ALLOCSET_DEFAULT_MAXSIZE);
	g_jsonb_arena_busy = true;
	return g_jsonb_arena;
}

static void
jsonb_work_done(MemoryContext work, bool arena)
{
	if (!arena)
		MemoryContextDelete(work);
	else
	{
		MemoryContextReset(work);
		g_jsonb_arena_busy = false;
	}
}

static Datum
jsonb_from_js(Isolate *iso, Local<Context> ctx, Local<Value> v)
{
	bool		arena;
	MemoryContext work = jsonb_work_context(&arena);
	MemoryContext old = MemoryContextSwitchTo(work);
	JsonbParseState *ps = NULL;
	JsonbValue *res = NULL;
	Jsonb	   *jb;
	KeyCache   *saved_keys = g_keys;
	KeyCache   *keys = (KeyCache *) palloc(sizeof(KeyCache));

	keys->used = keys->next = 0;
	g_keys = keys;
	try
	{
		if (v->IsArray())
			res = jsonb_push_array(iso, ctx, &ps, v.As<Array>());
		else if (v->IsObject())
			res = jsonb_push_object(iso, ctx, &ps, v.As<Object>());
		else
		{
			JsonbValue	wrap,
						sv;

			/* a raw scalar, as jsonb_in stores one */
			wrap.type = jbvArray;
			wrap.val.array.rawScalar = true;
			wrap.val.array.nElems = 1;
			jsonb_scalar(iso, ctx, v, &sv);
			pushJsonbValue(&ps, WJB_BEGIN_ARRAY, &wrap);
			pushJsonbValue(&ps, WJB_ELEM, &sv);
			res = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
		}
	}
	catch (...)
	{
		g_keys = saved_keys;
		MemoryContextSwitchTo(old);
		jsonb_work_done(work, arena);
		throw;
	}
	g_keys = saved_keys;
	MemoryContextSwitchTo(old);
	jb = JsonbValueToJsonb(res);
	jsonb_work_done(work, arena);
	return JsonbPGetDatum(jb);
}

/*
 * The values of a row from a JS object, as real PLV8's Converter: every
 * column must be among the first natts enumerable property names (own or
 * inherited; names past the end read as "undefined"), else "field name /
 * property name mismatch"; undefined and null properties are NULL.
 */
static void
js_row_values(Isolate *iso, Local<Context> ctx, Local<Value> v, TupleDesc desc, TypeInfo *cols,
			  Datum *values, bool *nulls)
{
	if (!v->IsObject())
		throw JsThrow{"argument must be an object"};
	Local<Object> obj = v.As<Object>();
	int			natts = desc->natts;
	Local<Array> names;

	if (!obj->GetPropertyNames(ctx).ToLocal(&names))
		throw JsPending{};
	uint32		nnames = names->Length();
	char	  **fnames = (char **) palloc(sizeof(char *) * Max(natts, 1));

	for (int d = 0; d < natts; d++)
	{
		Local<Value> n;

		if ((uint32) d >= nnames)
		{
			fnames[d] = (char *) "undefined";
			continue;
		}
		if (!names->Get(ctx, d).ToLocal(&n))
			throw JsPending{};
		fnames[d] = js_to_cstr(iso, ctx, n);
	}
	for (int c = 0; c < natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);
		bool		found = false;

		if (att->attisdropped)
			continue;
		for (int d = 0; d < natts && !found; d++)
			found = strcmp(NameStr(att->attname), fnames[d]) == 0;
		if (!found)
			throw JsThrow{"field name / property name mismatch"};
	}
	for (int c = 0; c < natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);
		Local<Value> fv;

		if (att->attisdropped)
		{
			nulls[c] = true;
			values[c] = (Datum) 0;
			continue;
		}
		if (!obj->Get(ctx, js_str(iso, NameStr(att->attname))).ToLocal(&fv))
			throw JsPending{};
		values[c] = to_datum(iso, ctx, fv, &cols[c], &nulls[c]);
	}
}

static HeapTuple
js_to_tuple(Isolate *iso, Local<Context> ctx, Local<Value> v, TupleDesc desc, TypeInfo *cols)
{
	Datum	   *values = (Datum *) palloc0(sizeof(Datum) * Max(desc->natts, 1));
	bool	   *nulls = (bool *) palloc0(sizeof(bool) * Max(desc->natts, 1));

	js_row_values(iso, ctx, v, desc, cols, values, nulls);
	return heap_form_tuple(desc, values, nulls);
}

/* text, varchar and bpchar (typmod -1): what their input functions make of String(v). */
static Datum
js_to_text(Isolate *iso, Local<Context> ctx, Local<Value> v)
{
	Local<v8::String> s;
	size_t		len;

	if (v->IsString())
		s = v.As<v8::String>();
	else if (!v->ToString(ctx).ToLocal(&s))
		throw JsPending{};
	char	   *buf = js_utf8(iso, s, VARHDRSZ, &len);
	/* the input functions read a C string: it ends at the first NUL */
	char	   *nul = (char *) memchr(buf + VARHDRSZ, '\0', len);

	if (nul)
		len = nul - (buf + VARHDRSZ);
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string too long for type text")));
	SET_VARSIZE(buf, len + VARHDRSZ);
	return PointerGetDatum(buf);
}

static Datum
js_to_bytea(const char *data, size_t len)
{
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("binary value too long for type bytea")));
	bytea	   *r = (bytea *) palloc(len + VARHDRSZ);

	SET_VARSIZE(r, len + VARHDRSZ);
	if (len)
		memcpy(VARDATA(r), data, len);
	return PointerGetDatum(r);
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

	if (t->is_array)
	{
		if (!v->IsArray())
			throw JsThrow{"value is not an Array"};
		Local<Array> a = v.As<Array>();
		int			n = (int) a->Length();
		Datum	   *values = (Datum *) palloc0(sizeof(Datum) * Max(n, 1));
		bool	   *nulls = (bool *) palloc0(sizeof(bool) * Max(n, 1));
		int			dims[1] = {n};
		int			lbs[1] = {1};
		TypeInfo   *et = t->elem;

		for (int i = 0; i < n; i++)
		{
			Local<Value> e;

			if ((i & 1023) == 1023)
				check_interrupts();
			if (!a->Get(ctx, i).ToLocal(&e))
				throw JsPending{};
			values[i] = to_datum(iso, ctx, e, et, &nulls[i]);
		}
		return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
												  et->typid, et->len, et->byval, et->align));
	}

	if (t->is_composite)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(t->typid, -1);
		HeapTuple	tup;

		try
		{
			tup = js_to_tuple(iso, ctx, v, desc, desc_types(desc, CurrentMemoryContext));
		}
		catch (...)
		{
			ReleaseTupleDesc(desc);
			throw;
		}
		ReleaseTupleDesc(desc);
		return HeapTupleGetDatum(tup);
	}

	switch (t->typid)
	{
		case OIDOID:
			if (v->IsNumber())
			{
				double		x = v.As<v8::Number>()->Value();

				if (x >= 0 && x <= PG_UINT32_MAX)
					return ObjectIdGetDatum((Oid) x);
			}
			break;
		case BOOLOID:
			if (v->IsBoolean())
				return BoolGetDatum(v->BooleanValue(iso));
			break;
		case INT2OID:
			if (v->IsNumber())
			{
				double		x = v.As<v8::Number>()->Value();

				if (x > PG_INT16_MIN - 1.0 && x < PG_INT16_MAX + 1.0)
					return Int16GetDatum((int16) x);
			}
			break;
		case INT4OID:
			if (v->IsNumber())
			{
				double		x = v.As<v8::Number>()->Value();

				if (x > PG_INT32_MIN - 1.0 && x < PG_INT32_MAX + 1.0)
					return Int32GetDatum((int32) x);
			}
			break;
		case INT8OID:
			if (v->IsBigInt())
			{
				bool		lossless;
				int64		x = v.As<v8::BigInt>()->Int64Value(&lossless);

				if (!lossless)
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("value \"%s\" is out of range for type bigint",
									js_to_cstr(iso, ctx, v))));
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
			{
				double		x = v.As<v8::Number>()->Value();

				/* float8_numeric, faster */
				if (x == trunc(x) && fabs(x) < 1e15)
					return NumericGetDatum(int64_to_numeric((int64) x));
				return NumericGetDatum(float8_to_numeric15(x));
			}
			break;
		case DATEOID:
			if (v->IsDate())
			{
				double		ms = v.As<v8::Date>()->ValueOf();

				if (isnan(ms))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("an invalid Date cannot be converted to a date")));
				/* days since 2000-01-01, truncated toward zero as real PLV8's EpochToDate */
				double		days = trunc((ms - kEpochOffsetMs) / 86400000.0);

				if (!(days >= DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE &&
					  days < DATE_END_JULIAN - POSTGRES_EPOCH_JDATE))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("date out of range")));
				return DateADTGetDatum((DateADT) days);
			}
			break;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			if (v->IsDate())
			{
				double		ms = v.As<v8::Date>()->ValueOf();

				if (isnan(ms))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("an invalid Date cannot be converted to a timestamp")));
				TimestampTz ts = (TimestampTz) (ms - kEpochOffsetMs) * 1000;

				if (!IS_VALID_TIMESTAMP(ts))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("timestamp out of range")));
				return TimestampTzGetDatum(ts);
			}
			break;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return js_to_text(iso, ctx, v);
		case BYTEAOID:
			if (v->IsUint8Array() || v->IsInt8Array() || v->IsUint16Array() ||
				v->IsInt16Array() || v->IsUint32Array() || v->IsInt32Array())
			{
				Local<v8::ArrayBufferView> view = v.As<v8::ArrayBufferView>();
				std::shared_ptr<v8::BackingStore> bs = view->Buffer()->GetBackingStore();

				return js_to_bytea((const char *) bs->Data() + view->ByteOffset(), view->ByteLength());
			}
			if (v->IsArrayBuffer())
			{
				std::shared_ptr<v8::BackingStore> bs = v.As<v8::ArrayBuffer>()->GetBackingStore();

				return js_to_bytea((const char *) bs->Data(), bs->ByteLength());
			}
			break;
		case JSONBOID:
			return jsonb_from_js(iso, ctx, v);
		case JSONOID:
			if (v->IsObject())
			{
				/* JSON.stringify's text, stored as it is (real PLV8 does not re-parse it) */
				Local<v8::String> s;

				if (!v8::JSON::Stringify(ctx, v).ToLocal(&s))
					throw JsPending{};
				/* JSON.stringify of a function is undefined, which JSON text never is */
				if (s->StrictEquals(sym(iso, "undefined")))
					throw JsThrow{"JSON.stringify returned undefined: the value cannot be stored as json"};
				return js_to_text(iso, ctx, s);
			}
			break;
		default:
			break;
	}

	/* lexical cast: String(value) through the type's input function */
	return type_input(t, js_to_cstr(iso, ctx, v));
}

/* ------------------------------------------------------------------------
 * JS error object for a PostgreSQL error (as real PLV8's FunctionInvoker)
 * ------------------------------------------------------------------------ */
static const char *
unpack_sqlstate(int code)
{
	static char buf[6];

	for (int i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(code);
		code >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

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
	set_prop(iso, ctx, err, "sqlerrcode", unpack_sqlstate(e->sqlerrcode));
	set_prop(iso, ctx, err, "schema_name", e->schema_name);
	set_prop(iso, ctx, err, "table_name", e->table_name);
	set_prop(iso, ctx, err, "column_name", e->column_name);
	set_prop(iso, ctx, err, "datatype_name", e->datatype_name);
	set_prop(iso, ctx, err, "constraint_name", e->constraint_name);
	set_prop(iso, ctx, err, "detail", e->detail);
	set_prop(iso, ctx, err, "hint", e->hint);
	set_prop(iso, ctx, err, "context", e->context);
	set_prop(iso, ctx, err, "internalquery", e->internalquery);
	if (err->Set(ctx, sym(iso, "code"), v8::Integer::NewFromUnsigned(iso, (uint32) e->sqlerrcode)).IsNothing()) {}
	return err;
}

/* ------------------------------------------------------------------------
 * V8 callback wrapper: C++ exceptions -> JS exceptions.
 *
 * Each plv8.* call allocates in a scratch memory context of its own nesting
 * level, reset when it returns: a JS loop of a million plv8.execute calls
 * does not grow the function's memory.
 * ------------------------------------------------------------------------ */
typedef void (*Callback) (const FunctionCallbackInfo<Value> &);

#define MAX_SCRATCH 32
static MemoryContext g_scratch[MAX_SCRATCH];
static int	g_invoke_depth = 0;

static void
invoke(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	HandleScope hs(iso);
	Local<Context> ctx = iso->GetCurrentContext();
	Callback	fn = reinterpret_cast<Callback>(args.Data().As<v8::External>()->Value());
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext scratch = nullptr;
	const char *msg = nullptr;
	bool		as_string = false;

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
	int			level = g_invoke_depth++;

	try
	{
		if (level < MAX_SCRATCH)
		{
			if (!g_scratch[level])
				pg_guard([&] {
					g_scratch[level] = AllocSetContextCreate(TopMemoryContext, "plv8 call",
															 ALLOCSET_DEFAULT_SIZES);
				});
			scratch = g_scratch[level];
			MemoryContextSwitchTo(scratch);
		}
		fn(args);
		MemoryContextSwitchTo(caller);
		if (scratch)
			MemoryContextReset(scratch);
		g_invoke_depth--;
		if (stopping())
			iso->TerminateExecution();
		return;
	}
	catch (PgError &e)
	{
		MemoryContextSwitchTo(caller);
		if (is_interrupt_error(e.edata) || stopping() || iso->IsExecutionTerminating())
		{
			if (is_interrupt_error(e.edata))
				remember_interrupt_error(e.edata);
			iso->TerminateExecution();
		}
		else
			iso->ThrowException(pg_error_to_js(iso, ctx, e.edata));
		FreeErrorData(e.edata);
		if (scratch)
			MemoryContextReset(scratch);
		g_invoke_depth--;
		return;
	}
	catch (Stop &)
	{
		msg = nullptr;
	}
	catch (JsPending &)
	{
		/* exception already scheduled */
		MemoryContextSwitchTo(caller);
		if (scratch)
			MemoryContextReset(scratch);
		g_invoke_depth--;
		if (stopping())
			iso->TerminateExecution();
		return;
	}
	catch (JsThrow &e)
	{
		msg = e.msg;
	}
	catch (JsThrowString &e)
	{
		msg = e.msg;
		as_string = true;
	}
	catch (std::bad_alloc &)
	{
		msg = "out of memory";
	}
	catch (...)
	{
		msg = "internal error in plv8_compat";
	}
	MemoryContextSwitchTo(caller);
	if (msg == nullptr || stopping() || iso->IsExecutionTerminating())
		iso->TerminateExecution();
	else
	{
		Local<v8::String> str;

		if (v8::String::NewFromUtf8(iso, msg).ToLocal(&str))
			iso->ThrowException(as_string ? Local<Value>(str) : v8::Exception::Error(str));
	}
	if (scratch)
		MemoryContextReset(scratch);
	g_invoke_depth--;
}

static void
set_method(Isolate *iso, Local<ObjectTemplate> t, const char *name, Callback fn)
{
	/* plain writable properties, as on real PLV8 */
	t->Set(sym(iso, name),
		   FunctionTemplate::New(iso, invoke,
								 v8::External::New(iso, reinterpret_cast<void *>(fn))));
}

/* ------------------------------------------------------------------------
 * plv8.elog(level, ...msgs)
 * ------------------------------------------------------------------------ */
static void
js_elog(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 2)
		throw JsThrowString{"usage: plv8.elog(elevel, ...)"};
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
			throw JsThrowString{"invalid error level"};
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

/* Runs f in a subtransaction: rolled back (and rethrown) if f throws. */
template <typename F>
static void
in_subxact(F &&f)
{
	SubXact		sx;

	subxact_begin(&sx);
	try
	{
		f();
	}
	catch (...)
	{
		std::exception_ptr ex = std::current_exception();

		subxact_end(&sx, false);
		std::rethrow_exception(ex);
	}
	subxact_end(&sx, true);
}

/* ------------------------------------------------------------------------
 * SPI results and parameters
 * ------------------------------------------------------------------------ */

/* Real PLV8 throws these strings (not Errors) for negative SPI statuses. */
static const char *
spi_status_string(int status)
{
	switch (status)
	{
		case SPI_ERROR_CONNECT:
			return "SPI_ERROR_CONNECT";
		case SPI_ERROR_COPY:
			return "SPI_ERROR_COPY";
		case SPI_ERROR_OPUNKNOWN:
			return "SPI_ERROR_OPUNKNOWN";
		case SPI_ERROR_UNCONNECTED:
		case SPI_ERROR_TRANSACTION:
			return "current transaction is aborted, commands ignored until end of transaction block";
		case SPI_ERROR_CURSOR:
			return "SPI_ERROR_CURSOR";
		case SPI_ERROR_ARGUMENT:
			return "SPI_ERROR_ARGUMENT";
		case SPI_ERROR_PARAM:
			return "SPI_ERROR_PARAM";
		case SPI_ERROR_NOATTRIBUTE:
			return "SPI_ERROR_NOATTRIBUTE";
		case SPI_ERROR_NOOUTFUNC:
			return "SPI_ERROR_NOOUTFUNC";
		case SPI_ERROR_TYPUNKNOWN:
			return "SPI_ERROR_TYPUNKNOWN";
		default:
			return "SPI_ERROR";
	}
}

/* Rows of a tuple table as an array of objects, one HandleScope per row. */
static Local<Array>
rows_to_js(Isolate *iso, Local<Context> ctx, SPITupleTable *tt, uint64 n)
{
	EscapableHandleScope outer(iso);
	Local<Array> result = Array::New(iso, (int) Min(n, (uint64) INT_MAX));
	RowReader	rr;

	pg_guard([&] { rr.init(iso, tt->tupdesc); });
	for (uint64 r = 0; r < n; r++)
	{
		HandleScope hs(iso);
		Local<Object> row;

		check_interrupts();
		pg_guard([&] { row = rr.row(iso, ctx, tt->vals[r]); });
		if (result->Set(ctx, (uint32) r, row).IsNothing())
			throw JsPending{};
	}
	return outer.Escape(result);
}

static Local<Value>
spi_result_to_js(Isolate *iso, Local<Context> ctx, int status)
{
	bool		rows = false;

	if (status < 0)
		throw JsThrowString{spi_status_string(status)};
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

	SPITupleTable *tt = SPI_tuptable;
	Local<Array> result = rows_to_js(iso, ctx, tt, SPI_processed);

	SPI_freetuptable(tt);
	return result;
}

struct VarParams
{
	Oid		   *types;
	int			n;
};

/*
 * The parser grows the type array with repalloc, which keeps the chunk's
 * memory context: allocate it here, not in SPI's parse context (which is
 * gone when SPI_prepare_params returns).
 */
static void
var_params_init(VarParams *vp)
{
	vp->n = 0;
	vp->types = (Oid *) palloc0(sizeof(Oid));
}

static void
var_param_setup(ParseState *pstate, void *arg)
{
	VarParams  *vp = (VarParams *) arg;

	setup_parse_variable_parameters(pstate, &vp->types, &vp->n);
}

/* params: an array as the first extra argument, else the extra arguments */
static void
collect_params(const FunctionCallbackInfo<Value> &args, int first, std::vector<Local<Value>> &params)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() <= first)
		return;
	if (args[first]->IsArray())
	{
		Local<Array> a = args[first].As<Array>();
		uint32		n = a->Length();

		params.reserve(n);
		for (uint32 i = 0; i < n; i++)
		{
			Local<Value> e;
			if (!a->Get(ctx, i).ToLocal(&e))
				throw JsPending{};
			params.push_back(e);
		}
	}
	else
		for (int i = first; i < args.Length(); i++)
			params.push_back(args[i]);
}

/* Bind JS values to a parameter list of the given types.  Under pg_guard. */
static ParamListInfo
bind_params(Isolate *iso, Local<Context> ctx, std::vector<Local<Value>> &params, const Oid *types)
{
	int			n = (int) params.size();
	ParamListInfo pli = makeParamList(n);

	for (int i = 0; i < n; i++)
	{
		ParamExternData *p = &pli->params[i];
		Oid			typ = types[i];

		if ((i & 1023) == 1023)
			check_interrupts();
		p->pflags = PARAM_FLAG_CONST;
		p->ptype = typ;
		if (typ == InvalidOid)
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("could not determine data type of parameter $%d", i + 1)));
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
	return pli;
}

/* ------------------------------------------------------------------------
 * plv8.execute(sql[, params])
 * ------------------------------------------------------------------------ */
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

	collect_params(args, 1, params);
	int			nparams = (int) params.size();
	bool		read_only = g_read_only;
	int			status = 0;

	check_interrupts();
	in_subxact([&] {
		pg_guard([&] {
			if (nparams == 0)
				status = SPI_execute(sql, read_only, 0);
			else
			{
				VarParams	vp;

				MemoryContext mcxt = CurrentMemoryContext;

				var_params_init(&vp);
				SPIPlanPtr	plan = SPI_prepare_params(sql, var_param_setup, &vp, 0);

				MemoryContextSwitchTo(mcxt);
				if (plan == NULL)
					elog(ERROR, "SPI_prepare_params failed: %s", SPI_result_code_string(SPI_result));
				if (vp.n != nparams)
					elog(ERROR, "parameter numbers mismatch: %d != %d", vp.n, nparams);
				ParamListInfo pli = bind_params(iso, ctx, params, vp.types);

				status = SPI_execute_plan_with_paramlist(plan, pli, read_only, 0);
				SPI_freeplan(plan);
			}
		});
	});
	args.GetReturnValue().Set(spi_result_to_js(iso, ctx, status));
}

/* ------------------------------------------------------------------------
 * plv8.prepare(sql[, types]) -> plan { execute, cursor, free }
 *
 * The plan is kept (SPI_keepplan) until free(), across calls of the same
 * backend; plans still held when the runtime is reset are freed then.
 * ------------------------------------------------------------------------ */
static int	kPlanTag,
			kCursorTag,
			kWindowTag;

struct PlanData
{
	SPIPlanPtr	plan;
	int			nargs;
	Oid		   *types;
	PlanData   *prev,
			   *next;
};

static PlanData *g_plans = nullptr;

static void
plan_unlink(PlanData *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		g_plans = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

/* The internal data of an object made from one of our templates, or NULL. */
static void *
tagged_data(Local<Object> self, int *tag)
{
	if (self->InternalFieldCount() < 2)
		return nullptr;
	Local<Value> t = self->GetInternalField(0);

	if (!t->IsExternal() || t.As<v8::External>()->Value() != tag)
		return nullptr;
	Local<Value> d = self->GetInternalField(1);

	return d->IsExternal() ? d.As<v8::External>()->Value() : nullptr;
}

static PlanData *
this_plan(const FunctionCallbackInfo<Value> &args)
{
	PlanData   *p = (PlanData *) tagged_data(args.This(), &kPlanTag);

	if (!p)
		throw JsThrow{"plan unexpectedly null"};
	return p;
}

static void
js_prepare(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (args.Length() < 1)
		throw JsThrow{"usage: plv8.prepare(sql[, types])"};
	char	   *sql = js_to_cstr(iso, ctx, args[0]);
	std::vector<Local<Value>> typev;

	collect_params(args, 1, typev);
	int			ntypes = (int) typev.size();
	char	  **typenames = (char **) palloc(sizeof(char *) * Max(ntypes, 1));

	for (int i = 0; i < ntypes; i++)
		typenames[i] = js_to_cstr(iso, ctx, typev[i]);
	PlanData   *pd = nullptr;

	check_interrupts();
	pg_guard([&] {
		Oid		   *types = (Oid *) palloc0(sizeof(Oid) * Max(ntypes, 1));
		SPIPlanPtr	plan;
		VarParams	vp;

		for (int i = 0; i < ntypes; i++)
		{
			int32		typmod;

			parseTypeString(typenames[i], &types[i], &typmod, false);
		}
		if (args.Length() > 1)
			plan = SPI_prepare(sql, ntypes, types);
		else
		{
			/* no types given: the parser infers them, as plv8.execute does */
			var_params_init(&vp);
			plan = SPI_prepare_params(sql, var_param_setup, &vp, 0);
		}
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		pd = (PlanData *) MemoryContextAllocZero(g_cache_mcxt, sizeof(PlanData));
		if (args.Length() > 1)
		{
			pd->nargs = ntypes;
			pd->types = (Oid *) MemoryContextAlloc(g_cache_mcxt, sizeof(Oid) * Max(ntypes, 1));
			memcpy(pd->types, types, sizeof(Oid) * ntypes);
		}
		else
		{
			pd->nargs = vp.n;
			pd->types = (Oid *) MemoryContextAlloc(g_cache_mcxt, sizeof(Oid) * Max(vp.n, 1));
			if (vp.n)
				memcpy(pd->types, vp.types, sizeof(Oid) * vp.n);
		}
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		pd->plan = plan;
		pd->next = g_plans;
		if (g_plans)
			g_plans->prev = pd;
		g_plans = pd;
	});

	Local<Object> obj;
	if (!g_plan_tmpl->Get(iso)->NewInstance(ctx).ToLocal(&obj))
		throw JsPending{};
	obj->SetInternalField(0, v8::External::New(iso, &kPlanTag));
	obj->SetInternalField(1, v8::External::New(iso, pd));
	args.GetReturnValue().Set(obj);
}

static ParamListInfo
plan_params(const FunctionCallbackInfo<Value> &args, PlanData *pd, std::vector<Local<Value>> &params)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	ParamListInfo pli = nullptr;

	collect_params(args, 0, params);
	if ((int) params.size() != pd->nargs)
	{
		char	   *m = nullptr;

		pg_guard([&] {
			m = psprintf("plan expected %d argument(s), given is %d", pd->nargs, (int) params.size());
		});
		throw JsThrow{m};
	}
	pg_guard([&] { pli = bind_params(iso, ctx, params, pd->types); });
	return pli;
}

static void
js_plan_execute(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	PlanData   *pd = this_plan(args);
	std::vector<Local<Value>> params;
	bool		read_only = g_read_only;
	int			status = 0;

	check_interrupts();
	in_subxact([&] {
		ParamListInfo pli = plan_params(args, pd, params);

		pg_guard([&] { status = SPI_execute_plan_with_paramlist(pd->plan, pli, read_only, 0); });
	});
	args.GetReturnValue().Set(spi_result_to_js(iso, ctx, status));
}

static void
js_plan_cursor(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	PlanData   *pd = this_plan(args);
	std::vector<Local<Value>> params;
	bool		read_only = g_read_only;
	char	   *name = nullptr;

	check_interrupts();
	in_subxact([&] {
		ParamListInfo pli = plan_params(args, pd, params);

		pg_guard([&] {
			MemoryContext mcxt = CurrentMemoryContext;
			Portal		portal = SPI_cursor_open_with_paramlist(NULL, pd->plan, pli, read_only);

			MemoryContextSwitchTo(mcxt);
			if (portal == NULL)
				elog(ERROR, "SPI_cursor_open failed: %s", SPI_result_code_string(SPI_result));
			name = pstrdup(portal->name);
		});
	});
	Local<Object> obj;
	if (!g_cursor_tmpl->Get(iso)->NewInstance(ctx).ToLocal(&obj))
		throw JsPending{};
	obj->SetInternalField(0, v8::External::New(iso, &kCursorTag));
	obj->SetInternalField(1, js_str(iso, name));
	args.GetReturnValue().Set(obj);
}

static void
plan_data_free(PlanData *pd)
{
	if (pd->plan)
		SPI_freeplan(pd->plan);
	pd->plan = nullptr;
	plan_unlink(pd);
	pfree(pd->types);
	pfree(pd);
}

static void
js_plan_free(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Object> self = args.This();
	PlanData   *pd = (PlanData *) tagged_data(self, &kPlanTag);

	if (pd)
	{
		pg_guard([&] { plan_data_free(pd); });
		self->SetInternalField(1, v8::External::New(iso, nullptr));
	}
	args.GetReturnValue().Set(v8::Integer::New(iso, 0));
}

/* Free every kept plan: the runtime is being reset. */
static void
free_all_plans(void)
{
	while (g_plans)
		plan_data_free(g_plans);
}

/* cursor.fetch([n]), cursor.move(n), cursor.close() */
static char *
this_cursor_name(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Object> self = args.This();

	if (self->InternalFieldCount() < 2)
		throw JsThrow{"cannot find cursor"};
	Local<Value> t = self->GetInternalField(0);

	if (!t->IsExternal() || t.As<v8::External>()->Value() != &kCursorTag)
		throw JsThrow{"cannot find cursor"};
	return js_string_to_cstr(iso, self->GetInternalField(1).As<v8::String>());
}

static Portal
find_cursor(const char *name)
{
	Portal		p = nullptr;

	pg_guard([&] { p = SPI_cursor_find(name); });
	if (!p)
		throw JsThrow{"cannot find cursor"};
	return p;
}

static void
js_cursor_fetch(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	char	   *name = this_cursor_name(args);
	Portal		portal = find_cursor(name);
	int32		nfetch = 1;
	bool		forward = true,
				wantarray = false;

	if (args.Length() >= 1)
	{
		wantarray = true;
		if (!args[0]->Int32Value(ctx).To(&nfetch))
			throw JsPending{};
		if (nfetch < 0)
		{
			nfetch = -nfetch;
			forward = false;
		}
	}
	SPITupleTable *tt = nullptr;
	uint64		n = 0;

	check_interrupts();
	in_subxact([&] {
		pg_guard([&] {
			SPI_cursor_fetch(portal, forward, nfetch);
			tt = SPI_tuptable;
			n = SPI_processed;
		});
	});
	if (n == 0 || tt == nullptr)
	{
		if (tt)
			SPI_freetuptable(tt);
		args.GetReturnValue().SetUndefined();
		return;
	}
	if (!wantarray)
	{
		Local<Object> row;
		RowReader	rr;

		pg_guard([&] {
			rr.init(iso, tt->tupdesc);
			row = rr.row(iso, ctx, tt->vals[0]);
		});
		args.GetReturnValue().Set(row);
	}
	else
		args.GetReturnValue().Set(rows_to_js(iso, ctx, tt, n));
	SPI_freetuptable(tt);
}

static void
js_cursor_move(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	char	   *name = this_cursor_name(args);
	Portal		portal = find_cursor(name);
	int32		nmove;
	bool		forward = true;

	if (args.Length() < 1)
		return;
	if (!args[0]->Int32Value(ctx).To(&nmove))
		throw JsPending{};
	if (nmove < 0)
	{
		nmove = -nmove;
		forward = false;
	}
	check_interrupts();
	in_subxact([&] { pg_guard([&] { SPI_cursor_move(portal, forward, nmove); }); });
	(void) iso;
}

static void
js_cursor_close(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	char	   *name = this_cursor_name(args);
	Portal		portal = find_cursor(name);

	pg_guard([&] { SPI_cursor_close(portal); });
	args.GetReturnValue().Set(v8::Integer::New(iso, 1));
}

/* ------------------------------------------------------------------------
 * plv8.subtransaction(fn)
 *
 * As real PLV8: fn runs with itself as `this`; if it throws, the
 * subtransaction is rolled back and a new Error carrying only the message
 * is thrown (an SQL error caught there has no sqlerrcode any more).
 * ------------------------------------------------------------------------ */
static char *safe_cstr(Isolate *iso, Local<Context> ctx, Local<Value> v);

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
	const char *msg = nullptr;

	subxact_begin(&sx);
	{
		TryCatch	tc(iso);
		Local<Value> r;

		if (fn->Call(ctx, fn, 0, nullptr).ToLocal(&r))
		{
			subxact_end(&sx, true);
			args.GetReturnValue().Set(r);
			return;
		}
		try
		{
			subxact_end(&sx, false);
		}
		catch (PgError &e)
		{
			FreeErrorData(e.edata);
		}
		if (tc.HasTerminated() || !tc.CanContinue() || stopping())
			throw Stop{};
		char	   *m = tc.HasCaught() ? safe_cstr(iso, ctx, tc.Exception()) : nullptr;

		if (m && !tc.Message().IsEmpty() && strncmp(m, "Error: ", 7) == 0)
			m += 7;
		msg = m ? m : "unknown exception";
	}
	throw JsThrow{msg};
}

/* ------------------------------------------------------------------------
 * Set-returning functions: plv8.return_next(value)
 * ------------------------------------------------------------------------ */
struct SrfState
{
	TupleDesc	desc;
	TypeInfo   *cols;
	bool		scalar;
	Tuplestorestate *store;
	MemoryContext row_cxt;
};

static SrfState *g_srf = nullptr;

/* Adds one row (or one value of a scalar SETOF) to the result.  Under pg_guard. */
static void
srf_put(Isolate *iso, Local<Context> ctx, SrfState *s, Local<Value> v)
{
	int			natts = s->desc->natts;
	MemoryContext old = MemoryContextSwitchTo(s->row_cxt);
	Datum	   *values = (Datum *) palloc0(sizeof(Datum) * Max(natts, 1));
	bool	   *nulls = (bool *) palloc0(sizeof(bool) * Max(natts, 1));

	if (s->scalar)
		values[0] = to_datum(iso, ctx, v, &s->cols[0], &nulls[0]);
	else
		js_row_values(iso, ctx, v, s->desc, s->cols, values, nulls);
	tuplestore_putvalues(s->store, s->desc, values, nulls);
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->row_cxt);
}

static void
js_return_next(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (!g_srf)
		throw JsThrow{"return_next called in context that cannot accept a set"};
	Local<Value> v = args.Length() > 0 ? args[0] : Local<Value>(v8::Undefined(iso));

	check_interrupts();
	pg_guard([&] { srf_put(iso, ctx, g_srf, v); });
	args.GetReturnValue().SetUndefined();
}

/* ------------------------------------------------------------------------
 * Window functions: plv8.get_window_object()
 * ------------------------------------------------------------------------ */
struct WindowCall
{
	FunctionCallInfo fcinfo;
	WindowObject winobj;
	ProcEntry  *pe;
};

static WindowCall *g_window = nullptr;

/* window_storage, as real PLV8: the partition-local value as JSON text */
struct WindowStorage
{
	size_t		maxlen;
	size_t		len;
	char		data[FLEXIBLE_ARRAY_MEMBER];
};

static void
js_get_window_object(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();

	if (!g_window)
		throw JsThrow{"get_window_object called in wrong context"};
	Local<Object> obj;
	if (!g_window_tmpl->Get(iso)->NewInstance(ctx).ToLocal(&obj))
		throw JsPending{};
	obj->SetInternalField(0, v8::External::New(iso, &kWindowTag));
	obj->SetInternalField(1, v8::External::New(iso, g_window));
	args.GetReturnValue().Set(obj);
}

static WindowCall *
this_window(const FunctionCallbackInfo<Value> &args)
{
	WindowCall *w = (WindowCall *) tagged_data(args.This(), &kWindowTag);

	/* only during the call that made it */
	if (!w || w != g_window)
		throw JsThrow{"window function api called with wrong object"};
	return w;
}

static int
window_argno(Isolate *iso, Local<Context> ctx, WindowCall *w, Local<Value> v)
{
	int32		argno;

	if (!v->Int32Value(ctx).To(&argno))
		throw JsPending{};
	if (argno < 0 || argno >= w->pe->nargs)
		throw JsThrow{"argument number out of range"};
	return argno;
}

static void
js_win_get_partition_local(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	WindowCall *w = this_window(args);
	int32		size = 1000;
	WindowStorage *st = nullptr;

	if (args.Length() >= 1 && !args[0]->Int32Value(ctx).To(&size))
		throw JsPending{};
	if (size < 0)
		throw JsThrow{"invalid partition local memory size"};
	size_t		sz = (size_t) size + sizeof(size_t) * 2;

	pg_guard([&] { st = (WindowStorage *) WinGetPartitionLocalMemory(w->winobj, sz); });
	if (st->maxlen == 0)
		st->maxlen = sz;
	if (st->len == 0)
	{
		args.GetReturnValue().SetUndefined();
		return;
	}
	Local<Value> r;
	pg_guard([&] { r = json_parse(iso, ctx, st->data, (int) st->len); });
	args.GetReturnValue().Set(r);
}

static void
js_win_set_partition_local(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	WindowCall *w = this_window(args);

	if (args.Length() < 1)
		return;
	Local<v8::String> s;
	if (!v8::JSON::Stringify(ctx, args[0]).ToLocal(&s))
		throw JsPending{};
	char	   *str = js_string_to_cstr(iso, s);
	size_t		len = strlen(str);
	size_t		sz = len + sizeof(size_t) * 2;
	WindowStorage *st = nullptr;

	pg_guard([&] { st = (WindowStorage *) WinGetPartitionLocalMemory(w->winobj, sz); });
	if (st->maxlen != 0 && st->maxlen < sz)
		throw JsThrow{"window local memory overflow"};
	if (st->maxlen == 0)
		st->maxlen = sz;
	st->len = len;
	memcpy(st->data, str, len);
}

static void
js_win_get_current_position(const FunctionCallbackInfo<Value> &args)
{
	WindowCall *w = this_window(args);
	int64		pos = 0;

	pg_guard([&] { pos = WinGetCurrentPosition(w->winobj); });
	args.GetReturnValue().Set(v8::Number::New(args.GetIsolate(), (double) pos));
}

static void
js_win_get_partition_row_count(const FunctionCallbackInfo<Value> &args)
{
	WindowCall *w = this_window(args);
	int64		n = 0;

	pg_guard([&] { n = WinGetPartitionRowCount(w->winobj); });
	args.GetReturnValue().Set(v8::Number::New(args.GetIsolate(), (double) n));
}

static void
js_win_set_mark_position(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	WindowCall *w = this_window(args);
	int64		pos;

	if (args.Length() < 1)
		return;
	if (!args[0]->IntegerValue(ctx).To(&pos))
		throw JsPending{};
	pg_guard([&] { WinSetMarkPosition(w->winobj, pos); });
	(void) iso;
}

static void
js_win_rows_are_peers(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	WindowCall *w = this_window(args);
	int64		p1,
				p2;
	bool		res = false;

	if (args.Length() < 2)
		return;
	if (!args[0]->IntegerValue(ctx).To(&p1) || !args[1]->IntegerValue(ctx).To(&p2))
		throw JsPending{};
	pg_guard([&] { res = WinRowsArePeers(w->winobj, p1, p2); });
	args.GetReturnValue().Set(v8::Boolean::New(iso, res));
}

static void
win_get_arg(const FunctionCallbackInfo<Value> &args, bool in_frame)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	WindowCall *w = this_window(args);
	int32		relpos,
				seektype;

	if (args.Length() < 4)
		throw JsThrow{"argument not enough"};
	int			argno = window_argno(iso, ctx, w, args[0]);

	if (!args[1]->Int32Value(ctx).To(&relpos) || !args[2]->Int32Value(ctx).To(&seektype))
		throw JsPending{};
	bool		set_mark = args[3]->BooleanValue(iso);
	bool		isnull = false,
				isout = false;
	Local<Value> r;

	pg_guard([&] {
		Datum		d;

		if (in_frame)
			d = WinGetFuncArgInFrame(w->winobj, argno, relpos, seektype, set_mark, &isnull, &isout);
		else
			d = WinGetFuncArgInPartition(w->winobj, argno, relpos, seektype, set_mark, &isnull, &isout);
		if (!isout)
			r = to_js(iso, ctx, d, isnull, &w->pe->argtypes[argno]);
	});
	if (isout)
		args.GetReturnValue().SetUndefined();
	else
		args.GetReturnValue().Set(r);
}

static void
js_win_get_func_arg_in_partition(const FunctionCallbackInfo<Value> &args)
{
	win_get_arg(args, false);
}

static void
js_win_get_func_arg_in_frame(const FunctionCallbackInfo<Value> &args)
{
	win_get_arg(args, true);
}

static void
js_win_get_func_arg_current(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	WindowCall *w = this_window(args);

	if (args.Length() < 1)
		return;
	int			argno = window_argno(iso, ctx, w, args[0]);
	Local<Value> r;

	pg_guard([&] {
		bool		isnull;
		Datum		d = WinGetFuncArgCurrent(w->winobj, argno, &isnull);

		r = to_js(iso, ctx, d, isnull, &w->pe->argtypes[argno]);
	});
	args.GetReturnValue().Set(r);
}

/* ------------------------------------------------------------------------
 * quote helpers, memory_usage
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

	if (args.Length() < 1)
		return;
	if (args[0]->IsNull() || args[0]->IsUndefined())
	{
		args.GetReturnValue().Set(sym(iso, "NULL"));
		return;
	}
	char	   *s = js_to_cstr(iso, ctx, args[0]);
	char	   *q = nullptr;

	pg_guard([&] { q = quote_literal_cstr(s); });
	args.GetReturnValue().Set(js_str(iso, q));
}

static void
js_memory_usage(const FunctionCallbackInfo<Value> &args)
{
	Isolate    *iso = args.GetIsolate();
	Local<Context> ctx = iso->GetCurrentContext();
	v8::HeapStatistics hs;
	Local<Object> o = Object::New(iso);

	iso->GetHeapStatistics(&hs);
	if (o->Set(ctx, sym(iso, "total_heap_size"), v8::Number::New(iso, (double) hs.total_heap_size())).IsNothing() ||
		o->Set(ctx, sym(iso, "used_heap_size"), v8::Number::New(iso, (double) hs.used_heap_size())).IsNothing() ||
		o->Set(ctx, sym(iso, "external_memory"), v8::Number::New(iso, (double) hs.external_memory())).IsNothing())
		throw JsPending{};
	args.GetReturnValue().Set(o);
}

/* ------------------------------------------------------------------------
 * Function compilation and cache
 * ------------------------------------------------------------------------ */
static ContextEntry *get_context_entry(Oid userid);
static ProcEntry *get_proc(Isolate *iso, Local<Context> ctx, ContextEntry *ce, Oid fn_oid,
						   bool validate);

/*
 * Compile "(function (args){\nbody\n})" in ctx; throws JsPending.  As real
 * PLV8, a declared argument name is used as it is (so a function mixing
 * named and unnamed arguments does not compile), unnamed ones are $1, $2…
 */
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
				src += ",";
			if (argnames && argnames[i])
				src += argnames[i];
			else
				src += "$" + std::to_string(i + 1);
		}
	src += "){\n";
	src += body;
	src += "\n})";

	Local<v8::String> source = js_str(iso, src.c_str(), (int) src.size());
	Local<Value> origin_name;
	if (name)
		origin_name = js_str(iso, name);
	else
		origin_name = v8::Undefined(iso);
	v8::ScriptOrigin origin(iso, origin_name, -1, 0);
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

static Oid	g_plv8_lang_oid = InvalidOid;

static ProcEntry *
get_proc(Isolate *iso, Local<Context> ctx, ContextEntry *ce, Oid fn_oid, bool validate)
{
	ProcEntry  *pe = nullptr;
	HeapTuple	tup = nullptr;
	bool		uptodate = false;
	char	   *prosrc = nullptr;
	char	  **argnames = nullptr;
	int			nargs = 0;

	auto		it = ce->procs.find(fn_oid);
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
		pe->is_window = (proc->prokind == PROKIND_WINDOW);
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

			if (validate && get_typtype(types[i]) == TYPTYPE_PSEUDO && types[i] != INTERNALOID)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("PL/v8 functions cannot accept type %s",
								format_type_be(types[i]))));
			if (mode != PROARGMODE_IN && mode != PROARGMODE_INOUT &&
				mode != PROARGMODE_VARIADIC)
				continue;
			fill_type(&pe->argtypes[nargs], types[i], g_cache_mcxt);
			argnames[nargs] = names ? names[i] : nullptr;
			nargs++;
		}
		pe->nargs = nargs;
		if (pe->is_trigger)
			pe->rettype = nullptr;
		else
			pe->rettype = new_type(proc->prorettype, g_cache_mcxt);
		MemoryContextSwitchTo(old);
		ReleaseSysCache(tup);
	});

	if (uptodate)
		return pe;

	ce->procs[fn_oid] = pe;
	pe->fn.Reset();
	if (pe->is_trigger && nargs != 0)
		throw JsThrow{"trigger function cannot have arguments"};
	Local<Function> fn = compile_function(iso, ctx, pe->proname, pe->nargs, argnames,
										  prosrc, pe->is_trigger);

	pe->fn.Reset(iso, fn);
	return pe;
}

/* The context entry whose V8 context is ctx. */
static ContextEntry *
entry_of(Isolate *iso, Local<Context> ctx)
{
	ContextEntry *ce = get_context_entry(GetUserId());

	if (ce->ctx.Get(iso) != ctx)
		for (auto &kv : g_contexts)
			if (kv.second->ctx.Get(iso) == ctx)
				return kv.second;
	return ce;
}

/* ------------------------------------------------------------------------
 * plv8.find_function(signature)
 *
 * As real PLV8: without EXECUTE privilege a WARNING and undefined; a
 * function that is not plv8 is an error.
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
	bool		allowed = false;

	pg_guard([&] {
		if (strchr(sig, '(') == NULL)
			funcoid = DatumGetObjectId(DirectFunctionCall1(regprocin, CStringGetDatum(sig)));
		else
			funcoid = DatumGetObjectId(DirectFunctionCall1(regprocedurein, CStringGetDatum(sig)));
		allowed = pg_proc_aclcheck(funcoid, GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
		if (!allowed)
		{
			elog(WARNING, "no permission to execute js function %s", sig);
			return;
		}
		if (!OidIsValid(g_plv8_lang_oid))
			g_plv8_lang_oid = get_language_oid("plv8", false);
		HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u", funcoid);
		Oid			lang = ((Form_pg_proc) GETSTRUCT(tup))->prolang;

		ReleaseSysCache(tup);
		if (lang != g_plv8_lang_oid)
			elog(ERROR, "javascript function is not found for \"%s\"", sig);
	});
	if (!allowed)
	{
		args.GetReturnValue().SetUndefined();
		return;
	}
	ProcEntry  *pe = get_proc(iso, ctx, entry_of(iso, ctx), funcoid, false);

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

	sigset_t	all,
				old;
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

/*
 * The heap is about to reach plv8.memory_limit: stop.  The limit is raised
 * enough for the allocation under way (at most about one maximal string or
 * array) to succeed, so that V8 never aborts the process; JS is terminated,
 * conversions stop at their next check, and the isolate is disposed once
 * the call has unwound.
 */
static size_t
near_heap_limit(void *data, size_t current, size_t initial)
{
	g_oom = true;
	if (g_isolate)
		g_isolate->TerminateExecution();
	return current + ((size_t) 1 << 30);
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
proc_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	g_generation++;
}

static void
create_isolate(void)
{
	if (!g_v8_initialized)
	{
		const char *flags = "--single-threaded --no-expose-wasm";

		v8::V8::SetFlagsFromString(flags, strlen(flags));
		/* plv8.v8_flags, as real PLV8's: after ours, so that they can override them */
		if (g_v8_flags != NULL && g_v8_flags[0] != '\0')
			v8::V8::SetFlagsFromString(g_v8_flags, strlen(g_v8_flags));
		g_platform = v8::platform::NewSingleThreadedDefaultPlatform();
		v8::V8::InitializePlatform(g_platform.get());
		v8::V8::Initialize();
		g_allocator = new CountingAllocator();
		g_cache_mcxt = AllocSetContextCreate(TopMemoryContext, "plv8_compat cache",
											 ALLOCSET_DEFAULT_SIZES);
		g_error_mcxt = AllocSetContextCreate(TopMemoryContext, "plv8_compat errors",
											 ALLOCSET_SMALL_SIZES);
		g_v8_initialized = true;
	}
	start_watchdog();

	Isolate::CreateParams params;

	g_heap_limit = (size_t) g_memory_limit_mb * 1024 * 1024;
	params.array_buffer_allocator = g_allocator;
	/*
	 * Sized as real PLV8 sizes its isolates (CreateIsolate in plv8.cc:
	 * ConfigureDefaults of twice the limit, as physical and virtual memory),
	 * so that the young generation follows plv8.memory_limit as it does
	 * there: about a 1 MB semi-space at the default 256 MB (512 KB there,
	 * whose V8 compresses pointers to half the size), four times that from
	 * 512 MB. A hot-table pggit_check spends most of its time collecting
	 * garbage at the default.
	 */
	params.constraints.ConfigureDefaults((uint64_t) g_heap_limit * 2, (uint64_t) g_heap_limit * 2);
	g_oom = false;
	g_isolate = Isolate::New(params);
	g_isolate->AddNearHeapLimitCallback(near_heap_limit, nullptr);
	g_isolate->SetFatalErrorHandler(v8_fatal);
	g_isolate->SetOOMErrorHandler(v8_oom);

	{
		Isolate::Scope is(g_isolate);
		HandleScope hs(g_isolate);
		Isolate    *iso = g_isolate;
		Local<ObjectTemplate> global = ObjectTemplate::New(iso);
		Local<ObjectTemplate> plv8 = ObjectTemplate::New(iso);

		set_method(iso, plv8, "elog", js_elog);
		set_method(iso, plv8, "execute", js_execute);
		set_method(iso, plv8, "prepare", js_prepare);
		set_method(iso, plv8, "return_next", js_return_next);
		set_method(iso, plv8, "subtransaction", js_subtransaction);
		set_method(iso, plv8, "find_function", js_find_function);
		set_method(iso, plv8, "get_window_object", js_get_window_object);
		set_method(iso, plv8, "quote_literal", js_quote_literal);
		set_method(iso, plv8, "quote_nullable", js_quote_nullable);
		set_method(iso, plv8, "quote_ident", js_quote_ident);
		set_method(iso, plv8, "memory_usage", js_memory_usage);

		/* levels are globals only: real PLV8 has no plv8.NOTICE & co. */
		struct
		{
			const char *name;
			int			level;
		}			levels[] = {
			{"DEBUG5", DEBUG5}, {"DEBUG4", DEBUG4}, {"DEBUG3", DEBUG3},
			{"DEBUG2", DEBUG2}, {"DEBUG1", DEBUG1}, {"DEBUG", DEBUG5},
			{"LOG", LOG}, {"INFO", INFO}, {"NOTICE", NOTICE},
			{"WARNING", WARNING}, {"ERROR", ERROR},
		};
		for (auto &l : levels)
			global->Set(sym(iso, l.name), v8::Integer::New(iso, l.level));
		global->Set(sym(iso, "plv8"), plv8);
		g_global_tmpl = new Global<ObjectTemplate>(iso, global);

		Local<ObjectTemplate> plan = ObjectTemplate::New(iso);

		plan->SetInternalFieldCount(2);
		set_method(iso, plan, "execute", js_plan_execute);
		set_method(iso, plan, "cursor", js_plan_cursor);
		set_method(iso, plan, "free", js_plan_free);
		g_plan_tmpl = new Global<ObjectTemplate>(iso, plan);

		Local<ObjectTemplate> cursor = ObjectTemplate::New(iso);

		cursor->SetInternalFieldCount(2);
		set_method(iso, cursor, "fetch", js_cursor_fetch);
		set_method(iso, cursor, "move", js_cursor_move);
		set_method(iso, cursor, "close", js_cursor_close);
		g_cursor_tmpl = new Global<ObjectTemplate>(iso, cursor);

		Local<ObjectTemplate> win = ObjectTemplate::New(iso);

		win->SetInternalFieldCount(2);
		set_method(iso, win, "get_partition_local", js_win_get_partition_local);
		set_method(iso, win, "set_partition_local", js_win_set_partition_local);
		set_method(iso, win, "get_current_position", js_win_get_current_position);
		set_method(iso, win, "get_partition_row_count", js_win_get_partition_row_count);
		set_method(iso, win, "set_mark_position", js_win_set_mark_position);
		set_method(iso, win, "rows_are_peers", js_win_rows_are_peers);
		set_method(iso, win, "get_func_arg_in_partition", js_win_get_func_arg_in_partition);
		set_method(iso, win, "get_func_arg_in_frame", js_win_get_func_arg_in_frame);
		set_method(iso, win, "get_func_arg_current", js_win_get_func_arg_current);
		win->Set(sym(iso, "SEEK_CURRENT"), v8::Integer::New(iso, WINDOW_SEEK_CURRENT));
		win->Set(sym(iso, "SEEK_HEAD"), v8::Integer::New(iso, WINDOW_SEEK_HEAD));
		win->Set(sym(iso, "SEEK_TAIL"), v8::Integer::New(iso, WINDOW_SEEK_TAIL));
		g_window_tmpl = new Global<ObjectTemplate>(iso, win);
	}
	g_watch_isolate.store(g_isolate);
}

static void
reset_template(Global<ObjectTemplate> *&t)
{
	if (t)
	{
		t->Reset();
		delete t;
		t = nullptr;
	}
}

static void
dispose_isolate(void)
{
	if (!g_isolate)
		return;
	g_watch_isolate.store(nullptr);
	free_all_plans();
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
	reset_template(g_global_tmpl);
	reset_template(g_plan_tmpl);
	reset_template(g_cursor_tmpl);
	reset_template(g_window_tmpl);
	g_isolate->Dispose();
	g_isolate = nullptr;
	g_generation++;
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
	auto		it = g_contexts.find(userid);
	if (it != g_contexts.end())
		return it->second;

	Isolate    *iso = g_isolate;
	Local<ObjectTemplate> tmpl = g_global_tmpl->Get(iso);
	Local<Context> ctx = Context::New(iso, nullptr, tmpl);

	if (ctx.IsEmpty())
		throw JsThrow{"could not create a JavaScript context"};
	{
		Context::Scope cs(ctx);
		Local<Value> object,
					keys;

		if (ctx->Global()->Get(ctx, sym(iso, "Object")).ToLocal(&object) && object->IsObject() &&
			object.As<Object>()->Get(ctx, sym(iso, "keys")).ToLocal(&keys) && keys->IsFunction())
			ctx->SetEmbedderData(EMBEDDER_OBJECT_KEYS, keys);
	}
	ContextEntry *ce = new ContextEntry();
	ce->ctx.Reset(iso, ctx);
	g_contexts[userid] = ce;
	return ce;
}

/* ------------------------------------------------------------------------
 * Outcome of one call, raised after V8 scopes are closed.
 * ------------------------------------------------------------------------ */
struct Outcome
{
	enum Kind
	{
		OK, PG, JS, MSG, TERMINATED
	}			kind = OK;
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
	catch (Stop &)
	{
		out->kind = Outcome::TERMINATED;
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
	catch (JsThrowString &e)
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
	if (iso->IsExecutionTerminating())
		out->kind = Outcome::TERMINATED;
}

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
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling statement due to user request"),
					 errdetail("JavaScript execution was terminated")));
			break;
	}
}

/*
 * After a call: a heap exhaustion or an interrupt seen during the call
 * ends it with an error, whatever the call's own outcome (JS may have
 * swallowed the error, or returned before V8 noticed the termination).
 */
static void
finish_entry(Outcome *out)
{
	bool		top = (g_depth == 0);

	if (top && g_isolate)
		g_isolate->CancelTerminateExecution();
	if (g_oom)
	{
		if (top)
		{
			dispose_isolate();
			g_oom = false;
			g_cancel_requested = 0;
			forget_interrupt_error();
		}
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("JavaScript heap limit of plv8.memory_limit = %d MB exceeded",
						   g_memory_limit_mb)));
	}
	if (g_interrupt_error || g_cancel_requested || out->kind == Outcome::TERMINATED)
	{
		ErrorData  *stored = g_interrupt_error ? copy_error(g_interrupt_error, CurrentMemoryContext) : nullptr;

		if (top)
		{
			forget_interrupt_error();
			g_cancel_requested = 0;
		}
		/* a cancel still pending is raised by PostgreSQL itself, with its own SQLSTATE */
		CHECK_FOR_INTERRUPTS();
		if (stored)
			ReThrowError(stored);
		if (out->kind == Outcome::TERMINATED)
			raise_outcome(out);
	}
	raise_outcome(out);
}

/* Prologue of every entry from PostgreSQL. */
static void
before_entry(void)
{
	CHECK_FOR_INTERRUPTS();
	ensure_runtime();
	if (g_depth == 0)
	{
		g_isolate->CancelTerminateExecution();
		g_cancel_requested = 0;
		forget_interrupt_error();
		g_invoke_depth = 0;
		g_keys = nullptr;
		MemoryContextReset(g_error_mcxt);
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

/* Convert in the caller's memory context (the result outlives SPI_finish). */
template <typename F>
static void
in_caller_mcxt(CallState *cs, F &&f)
{
	pg_guard([&] {
		MemoryContext old = MemoryContextSwitchTo(cs->caller_mcxt);

		try
		{
			f();
		}
		catch (...)
		{
			MemoryContextSwitchTo(old);
			throw;
		}
		MemoryContextSwitchTo(old);
	});
}

/* `this` of a call: an empty object of its own, as real PLV8's receiver. */
static inline Local<Value>
receiver(Isolate *iso)
{
	return Object::New(iso);
}

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
			RowReader	rr;

			rr.init(iso, desc);
			cols = rr.cols;
			if (TRIGGER_FIRED_BY_INSERT(ev))
			{
				orig = trig->tg_trigtuple;
				argv[0] = rr.row(iso, ctx, trig->tg_trigtuple);
			}
			else if (TRIGGER_FIRED_BY_DELETE(ev))
			{
				orig = trig->tg_trigtuple;
				argv[1] = rr.row(iso, ctx, trig->tg_trigtuple);
			}
			else if (TRIGGER_FIRED_BY_UPDATE(ev))
			{
				orig = trig->tg_newtuple;
				argv[0] = rr.row(iso, ctx, trig->tg_newtuple);
				argv[1] = rr.row(iso, ctx, trig->tg_trigtuple);
			}
		}
		argv[2] = js_str(iso, trig->tg_trigger->tgname);
		/* as real PLV8: INSTEAD OF reports AFTER */
		argv[3] = sym(iso, TRIGGER_FIRED_BEFORE(ev) ? "BEFORE" : "AFTER");
		argv[4] = sym(iso, TRIGGER_FIRED_FOR_ROW(ev) ? "ROW" : "STATEMENT");
		argv[5] = sym(iso, TRIGGER_FIRED_BY_INSERT(ev) ? "INSERT" :
					  TRIGGER_FIRED_BY_DELETE(ev) ? "DELETE" :
					  TRIGGER_FIRED_BY_UPDATE(ev) ? "UPDATE" :
					  TRIGGER_FIRED_BY_TRUNCATE(ev) ? "TRUNCATE" : "?");
		argv[6] = v8::Integer::NewFromUnsigned(iso, RelationGetRelid(rel));
		argv[7] = js_str(iso, RelationGetRelationName(rel));
		argv[8] = js_str(iso, get_namespace_name(RelationGetNamespace(rel)));
		Local<Array> tgargs = Array::New(iso, trig->tg_trigger->tgnargs);

		for (int i = 0; i < trig->tg_trigger->tgnargs; i++)
			if (tgargs->Set(ctx, i, js_str(iso, trig->tg_trigger->tgargs[i])).IsNothing())
				throw JsPending{};
		argv[9] = tgargs;
	});

	Local<Value> r;
	if (!pe->fn.Get(iso)->Call(ctx, receiver(iso), 10, argv).ToLocal(&r))
		throw JsPending{};

	/*
	 * As real PLV8: null (or any statement trigger) gives NULL, undefined
	 * keeps the row, anything else is converted to a row of the table even
	 * in AFTER triggers (whose result PostgreSQL then ignores), so an object
	 * that is not the row fails.
	 */
	cs->isnull = false;
	if (!TRIGGER_FIRED_FOR_ROW(ev) || r->IsNull())
		cs->result = PointerGetDatum(NULL);
	else if (r->IsUndefined())
		cs->result = PointerGetDatum(orig);
	else
		in_caller_mcxt(cs, [&] {
			cs->result = PointerGetDatum(js_to_tuple(iso, ctx, r, desc, cols));
		});
}

/* RETURNS SETOF / TABLE: a tuplestore filled by return_next and by the result. */
static void
call_srf(Isolate *iso, Local<Context> ctx, ProcEntry *pe, CallState *cs, int nargs, Local<Value> *argv)
{
	FunctionCallInfo fcinfo = cs->fcinfo;
	SrfState	st;

	pg_guard([&] {
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

		if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("set-valued function called in context that cannot accept a set")));
		if (!(rsinfo->allowedModes & SFRM_Materialize))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("materialize mode required, but it is not allowed in this context")));
		TypeFuncClass cls = get_call_result_type(fcinfo, NULL, NULL);

		if (pe->rettype->typid == RECORDOID && cls != TYPEFUNC_COMPOSITE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("function returning record called in context "
							"that cannot accept type record")));
		MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

		st.store = tuplestore_begin_heap(true, false, work_mem);
		rsinfo->returnMode = SFRM_Materialize;
		rsinfo->setResult = st.store;
		if (!rsinfo->setDesc)
			rsinfo->setDesc = CreateTupleDescCopy(rsinfo->expectedDesc);
		st.desc = rsinfo->setDesc;
		MemoryContextSwitchTo(old);
		st.scalar = (cls == TYPEFUNC_SCALAR);
		st.cols = desc_types(st.desc, CurrentMemoryContext);
		st.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "plv8 SRF row",
										   ALLOCSET_DEFAULT_SIZES);
	});

	SrfState   *saved = g_srf;
	Local<Value> r;

	g_srf = &st;
	try
	{
		if (!pe->fn.Get(iso)->Call(ctx, receiver(iso), nargs, argv).ToLocal(&r))
			throw JsPending{};
		if (r->IsUndefined())
		{
			/* no more rows */
		}
		else if (r->IsArray())
		{
			Local<Array> a = r.As<Array>();
			uint32		n = a->Length();

			for (uint32 i = 0; i < n; i++)
			{
				Local<Value> e;

				check_interrupts();
				if (!a->Get(ctx, i).ToLocal(&e))
					throw JsPending{};
				pg_guard([&] { srf_put(iso, ctx, &st, e); });
			}
		}
		else
			pg_guard([&] { srf_put(iso, ctx, &st, r); });
	}
	catch (...)
	{
		g_srf = saved;
		throw;
	}
	g_srf = saved;
	cs->result = (Datum) 0;
	cs->isnull = true;
}

static void
call_function(Isolate *iso, Local<Context> ctx, ProcEntry *pe, CallState *cs)
{
	FunctionCallInfo fcinfo = cs->fcinfo;
	int			nargs = pe->nargs;
	Local<Value> argv_small[8];
	std::vector<Local<Value>> argv_big;
	Local<Value> *argv = argv_small;
	WindowCall	wc;
	bool		window = fcinfo->context && IsA(fcinfo->context, WindowObjectData);

	if (nargs > 8)
	{
		argv_big.resize(nargs);
		argv = argv_big.data();
	}
	pg_guard([&] {
		if (window)
		{
			/* a window function's arguments are read through the window object */
			wc.fcinfo = fcinfo;
			wc.winobj = (WindowObject) fcinfo->context;
			wc.pe = pe;
			for (int i = 0; i < nargs; i++)
			{
				bool		isnull;
				Datum		d = WinGetFuncArgCurrent(wc.winobj, i, &isnull);

				argv[i] = to_js(iso, ctx, d, isnull, &pe->argtypes[i]);
			}
		}
		else
			for (int i = 0; i < nargs; i++)
				argv[i] = to_js(iso, ctx, fcinfo->args[i].value, fcinfo->args[i].isnull,
								&pe->argtypes[i]);
	});

	if (pe->retset)
	{
		call_srf(iso, ctx, pe, cs, nargs, argv);
		return;
	}

	WindowCall *saved_window = g_window;
	Local<Value> r;

	if (window)
		g_window = &wc;
	bool		ok = pe->fn.Get(iso)->Call(ctx, receiver(iso), nargs, argv).ToLocal(&r);

	g_window = saved_window;
	if (!ok)
		throw JsPending{};

	/* void too: undefined and null are NULL, anything else goes through void's input */
	in_caller_mcxt(cs, [&] { cs->result = to_datum(iso, ctx, r, pe->rettype, &cs->isnull); });
}

/*
 * A cancel that arrived between the last CHECK_FOR_INTERRUPTS and the
 * moment g_depth counts this call (while the isolate or the context was
 * being made, say) set only PostgreSQL's flag: act on it now, before any JS
 * runs, or a `while (true) {}` would never see it.
 */
static inline void
catch_up_with_interrupts(Isolate *iso)
{
	if (unlikely(QueryCancelPending || ProcDiePending))
	{
		g_cancel_requested = 1;
		iso->TerminateExecution();
	}
}

/* Runs all V8 work of one call; never longjmps, never throws. */
static void
run_call(CallState *cs, Outcome *out)
{
	Isolate    *iso = g_isolate;
	Isolate::Scope is(iso);
	HandleScope hs(iso);
	FmgrInfo   *flinfo = cs->fcinfo->flinfo;
	CallCache  *cc = (CallCache *) flinfo->fn_extra;
	Oid			userid = GetUserId();
	ContextEntry *ce;
	ProcEntry  *pe = nullptr;

	if (cc && cc->generation == g_generation && cc->userid == userid)
	{
		ce = cc->ce;
		pe = cc->pe;
	}
	else
	{
		try
		{
			ce = get_context_entry(userid);
		}
		catch (JsThrow &e)
		{
			out->kind = Outcome::MSG;
			out->msg = pstrdup(e.msg);
			return;
		}
	}
	Local<Context> ctx = ce->ctx.Get(iso);
	Context::Scope cscope(ctx);
	TryCatch	tc(iso);
	bool		saved_ro = g_read_only;

	g_depth++;
	catch_up_with_interrupts(iso);
	try
	{
		if (!pe)
		{
			pe = get_proc(iso, ctx, ce, flinfo->fn_oid, false);
			pg_guard([&] {
				if (!cc)
					cc = (CallCache *) MemoryContextAlloc(flinfo->fn_mcxt, sizeof(CallCache));
				cc->generation = g_generation;
				cc->userid = userid;
				cc->ce = ce;
				cc->pe = pe;
				flinfo->fn_extra = cc;
			});
		}
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
	ContextEntry *ce;

	try
	{
		ce = get_context_entry(GetUserId());
	}
	catch (JsThrow &e)
	{
		out->kind = Outcome::MSG;
		out->msg = pstrdup(e.msg);
		return;
	}
	Local<Context> ctx = ce->ctx.Get(iso);
	Context::Scope cscope(ctx);
	TryCatch	tc(iso);
	bool		saved_ro = g_read_only;

	g_depth++;
	catch_up_with_interrupts(iso);
	g_read_only = false;
	try
	{
		Local<Function> fn = compile_function(iso, ctx, nullptr, 0, nullptr, src, false);
		Local<Value> r;

		if (!fn->Call(ctx, receiver(iso), 0, nullptr).ToLocal(&r))
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
	ContextEntry *ce;

	try
	{
		ce = get_context_entry(GetUserId());
	}
	catch (JsThrow &e)
	{
		out->kind = Outcome::MSG;
		out->msg = pstrdup(e.msg);
		return;
	}
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
	finish_entry(&out);
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
	finish_entry(&out);
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
	/* as real PLV8: pseudo-type results other than trigger, record, void, internal are refused */
	if (get_typtype(proc->prorettype) == TYPTYPE_PSEUDO &&
		proc->prorettype != TRIGGEROID && proc->prorettype != VOIDOID &&
		proc->prorettype != RECORDOID && proc->prorettype != INTERNALOID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("PL/v8 functions cannot return type %s",
						format_type_be(proc->prorettype))));
	ReleaseSysCache(tuple);

	if (!check_function_bodies)
		PG_RETURN_VOID();

	Outcome		out;

	before_entry();
	run_validate(fn_oid, &out);
	finish_entry(&out);
	PG_RETURN_VOID();
}

Datum
plv8_version(PG_FUNCTION_ARGS)
{
	char	   *s = psprintf("plv8_compat %s (V8 %s)", PLV8_COMPAT_VERSION, v8::V8::GetVersion());

	PG_RETURN_TEXT_P(cstring_to_text(s));
}

/*
 * Registers the setting and two callbacks, and starts nothing: V8 starts in
 * each backend at its first PLV8 call.  So the library may be preloaded into
 * the postmaster (shared_preload_libraries, as scripts/local-db.sh does):
 * backends then inherit it loaded and linked.  When the file is rebuilt while
 * such a postmaster runs, a backend's first call finds a new inode under the
 * same path; PostgreSQL loads it again, the dynamic linker hands back the
 * preloaded image (same path), and _PG_init runs a second time in it.  The
 * flag keeps that second run from redefining the setting (an ERROR): the
 * backend goes on with the build its postmaster preloaded.
 */
void
_PG_init(void)
{
	static bool initialized = false;

	if (initialized)
		return;
	initialized = true;
	DefineCustomIntVariable("plv8.memory_limit",
							"Per-backend JavaScript heap limit in MB (plv8_compat).",
							NULL,
							&g_memory_limit_mb,
							256, 16, 4096,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomStringVariable("plv8.v8_flags",
							   "V8 engine flags, applied when V8 starts in a backend (plv8_compat).",
							   NULL,
							   &g_v8_flags,
							   NULL,
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
	CacheRegisterSyscacheCallback(PROCOID, proc_changed, (Datum) 0);
	RegisterXactCallback(jsonb_arena_xact, NULL);
}
