// The text form of expressions: a small SQL dialect (Spark SQL's expression syntax).
//
//   expr           := or
//   or             := and { OR and }
//   and            := not { AND not }
//   not            := NOT not | predicate
//   predicate      := additive [ compare_op additive
//                              | IS [NOT] NULL
//                              | [NOT] IN '(' expr { ',' expr } ')'
//                              | [NOT] BETWEEN additive AND additive ]
//   compare_op     := '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>='
//   additive       := multiplicative { ('+' | '-') multiplicative }
//   multiplicative := unary { ('*' | '/') unary }
//   unary          := ('-' | '+') unary | primary
//   primary        := literal | column | CAST '(' expr AS type ')' | '(' expr ')'
//   column         := name { '.' name }              a.b.c: field c of struct field b of a
//   name           := identifier | '`' chars '`'     `` inside back quotes is one `
//   literal        := number | 'string' | X'hex' | DATE 'yyyy-mm-dd'
//                   | TIMESTAMP 'yyyy-mm-dd[ hh:mm[:ss[.ffffff]]][zone]'   (UTC)
//                   | TIMESTAMP_NTZ 'yyyy-mm-dd[ hh:mm[:ss[.ffffff]]]'
//                   | TRUE | FALSE | NULL
//   type           := BOOLEAN | TINYINT | BYTE | SMALLINT | SHORT | INT | INTEGER | BIGINT
//                   | LONG | FLOAT | REAL | DOUBLE | DECIMAL [ '(' p [ ',' s ] ')' ]
//                   | STRING | BINARY | DATE | TIMESTAMP | TIMESTAMP_NTZ
//
// Keywords and type names are case-insensitive; identifiers are [A-Za-z_][A-Za-z0-9_]*
// (case is kept; Bind matches names case-insensitively when there is no exact match).
// AND OR NOT IS NULL IN BETWEEN TRUE FALSE are reserved; DATE, TIMESTAMP, TIMESTAMP_NTZ,
// CAST and X are keywords only where a literal or cast can start (so `date = DATE '...'`
// works). Strings are single-quoted with '' for a quote; bytes are taken as they are.
//
// Numbers: an integer is INT when it fits, else BIGINT, else DECIMAL(p,0) (up to 38
// digits); digits with a '.' are DECIMAL(p,s) (1.25 is DECIMAL(3,2)); an exponent makes a
// DOUBLE (1e3). Spark's suffixes type a number explicitly: 5Y TINYINT, 5S SMALLINT, 5L
// BIGINT, 1.5F FLOAT, 1.5D DOUBLE, 1.5BD DECIMAL. A '-' directly before a number is part
// of it (-2147483648 is an INT). CAST of a literal is folded into a literal at parse time.
//
// Errors are InvalidInput "predicate: <what> at column <n>" (n counts bytes from 1).
// Hostile input is bounded: at most kMaxExpressionBytes of text and kMaxExpressionDepth
// levels of nesting (parentheses, operators, NOT chains), checked before recursing.
#pragma once

#include <cstddef>
#include <string_view>

#include "expr/expression.h"

namespace cpglake::expr {

inline constexpr size_t kMaxExpressionBytes = 16 << 20;
inline constexpr int kMaxExpressionDepth = 256;

// Parses a predicate (any expression; Bind checks that it is boolean).
ExprPtr ParsePredicate(std::string_view sql);

// Parses a value expression (e.g. the right side of UPDATE ... SET); errors say
// "expression:" instead of "predicate:".
ExprPtr ParseExpression(std::string_view sql);

// Parses a column reference alone (`a.b`, `` `my col`.x ``), as Col() does but with the
// parser's identifier rules.
ExprPtr ParseColumn(std::string_view sql);

}  // namespace cpglake::expr
