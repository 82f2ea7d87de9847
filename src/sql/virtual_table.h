// The C++ base of cpglake's SQLite virtual tables: `VirtualTableModule<Table>` adapts a C++
// class to an `sqlite3_module` (iVersion 2: transactions and savepoints), so each table kind
// is one class with ordinary methods that throw cpglake::Error on failure.
//
// Exceptions never cross the SQLite C boundary (STYLE.md item 2): every trampoline catches,
// stores the message in the vtab's zErrMsg (sqlite3_mprintf) and the error's category in
// the table's ErrorSink, and returns an SQLite error code. sql::Database reads the sink
// after a failed statement to rethrow the error with its original category (NotFound stays
// NotFound), carrying SQLite's message.
//
// `Table` must derive from VirtualTable and provide:
//   static std::unique_ptr<Table> Connect(sqlite3*, void* aux, int argc, const char* const* argv);
//   void BestIndex(sqlite3_index_info*);             // may return via SqliteConstraintError
//   std::unique_ptr<Table::Cursor> Open();
//   void Update(int argc, sqlite3_value** argv, sqlite3_int64* rowid);
//   void Begin(), Sync(), Commit(), Rollback();
//   void Savepoint(int), Release(int), RollbackTo(int);
//   ErrorSink* error_sink();                          // where categories are recorded
// and `Table::Cursor` must derive from VirtualCursor and provide
//   void Filter(int idx_num, const char* idx_str, int argc, sqlite3_value** argv);
//   void Next(); bool Eof() const; void Column(sqlite3_context*, int col); int64_t Rowid() const;
// xCreate and xConnect are the same (a virtual table never owns the Delta table: DROP TABLE
// only forgets the registration), as are xDestroy and xDisconnect.
#pragma once

#include <sqlite3.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"

namespace cpglake::sql {

// The first cpglake error raised inside a callback since the last Clear().
struct ErrorSink {
  std::optional<ErrorCategory> category;
  std::string message;
  void Record(ErrorCategory c, const std::string& m) {
    if (!category) {
      category = c;
      message = m;
    }
  }
  void Clear() {
    category.reset();
    message.clear();
  }
};

// Thrown by BestIndex to reject a plan (SQLITE_CONSTRAINT: "try another one").
struct SqliteConstraintError {};

struct VirtualTable : sqlite3_vtab {
  VirtualTable() : sqlite3_vtab{} {}
  virtual ~VirtualTable() = default;
};

struct VirtualCursor : sqlite3_vtab_cursor {
  VirtualCursor() : sqlite3_vtab_cursor{} {}
  virtual ~VirtualCursor() = default;
};

namespace internal {
// Converts the exception in flight into an SQLite code, recording it in `sink` and
// replacing *err_msg (freed with sqlite3_free) with its message.
int ReportException(ErrorSink* sink, char** err_msg);
}  // namespace internal

template <typename Table>
class VirtualTableModule {
 public:
  static const sqlite3_module* Get() {
    static const sqlite3_module kModule = {
        2,      Connect,  Connect, BestIndex, Disconnect, Disconnect, Open,       Close,
        Filter, Next,     Eof,     Column,    Rowid,      Update,     Begin,      Sync,
        Commit, Rollback, nullptr, nullptr,   Savepoint,  Release,    RollbackTo, nullptr};
    return &kModule;
  }

 private:
  using Cursor = typename Table::Cursor;
  static Table* T(sqlite3_vtab* v) { return static_cast<Table*>(v); }
  static Cursor* C(sqlite3_vtab_cursor* c) { return static_cast<Cursor*>(c); }
  static int Fail(sqlite3_vtab* v) {
    return internal::ReportException(T(v)->error_sink(), &v->zErrMsg);
  }

  static int Connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
                     char** err) {
    try {
      *out = Table::Connect(db, aux, argc, argv).release();
      return SQLITE_OK;
    } catch (...) {
      return internal::ReportException(Table::AuxErrorSink(aux), err);
    }
  }
  static int Disconnect(sqlite3_vtab* v) {
    delete T(v);
    return SQLITE_OK;
  }
  static int BestIndex(sqlite3_vtab* v, sqlite3_index_info* info) {
    try {
      T(v)->BestIndex(info);
      return SQLITE_OK;
    } catch (const SqliteConstraintError&) {
      return SQLITE_CONSTRAINT;
    } catch (...) {
      return Fail(v);
    }
  }
  static int Open(sqlite3_vtab* v, sqlite3_vtab_cursor** out) {
    try {
      *out = T(v)->Open().release();
      return SQLITE_OK;
    } catch (...) {
      return Fail(v);
    }
  }
  static int Close(sqlite3_vtab_cursor* c) {
    delete C(c);
    return SQLITE_OK;
  }
  static int Filter(sqlite3_vtab_cursor* c, int idx_num, const char* idx_str, int argc,
                    sqlite3_value** argv) {
    try {
      C(c)->Filter(idx_num, idx_str, argc, argv);
      return SQLITE_OK;
    } catch (...) {
      return Fail(c->pVtab);
    }
  }
  static int Next(sqlite3_vtab_cursor* c) {
    try {
      C(c)->Next();
      return SQLITE_OK;
    } catch (...) {
      return Fail(c->pVtab);
    }
  }
  static int Eof(sqlite3_vtab_cursor* c) { return C(c)->Eof() ? 1 : 0; }
  static int Column(sqlite3_vtab_cursor* c, sqlite3_context* ctx, int col) {
    try {
      C(c)->Column(ctx, col);
      return SQLITE_OK;
    } catch (...) {
      return Fail(c->pVtab);
    }
  }
  static int Rowid(sqlite3_vtab_cursor* c, sqlite3_int64* out) {
    *out = C(c)->Rowid();
    return SQLITE_OK;
  }
  static int Update(sqlite3_vtab* v, int argc, sqlite3_value** argv, sqlite3_int64* rowid) {
    try {
      T(v)->Update(argc, argv, rowid);
      return SQLITE_OK;
    } catch (...) {
      return Fail(v);
    }
  }
  template <void (Table::*Method)()>
  static int Call(sqlite3_vtab* v) {
    try {
      (T(v)->*Method)();
      return SQLITE_OK;
    } catch (...) {
      return Fail(v);
    }
  }
  template <void (Table::*Method)(int)>
  static int CallN(sqlite3_vtab* v, int n) {
    try {
      (T(v)->*Method)(n);
      return SQLITE_OK;
    } catch (...) {
      return Fail(v);
    }
  }
  static constexpr auto Begin = Call<&Table::Begin>;
  static constexpr auto Sync = Call<&Table::Sync>;
  static constexpr auto Commit = Call<&Table::Commit>;
  static constexpr auto Rollback = Call<&Table::Rollback>;
  static constexpr auto Savepoint = CallN<&Table::Savepoint>;
  static constexpr auto Release = CallN<&Table::Release>;
  static constexpr auto RollbackTo = CallN<&Table::RollbackTo>;
};

}  // namespace cpglake::sql
