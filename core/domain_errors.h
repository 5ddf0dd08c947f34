// Errors of core: those of the domain services and those the stores raise,
// for the API to map onto HTTP statuses: ConflictError → 409,
// ForbiddenError → 403, NotFoundError → 404, LimitError → 429,
// std::invalid_argument → 400; from the stores RowNotFoundError → 404,
// RowConflictError → 409, any other DatabaseError → 503.
#pragma once

#include <stdexcept>
#include <string>

namespace chargelock::core {

// The request conflicts with the state (a VIN or id tag of another owner, a
// command refused because a locked vehicle is held).
class ConflictError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller may not act on this (another owner's vehicle).
class ForbiddenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Unknown, or not visible to the caller (another owner's lock).
class NotFoundError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A cap that stops one caller from flooding the network was reached
// (vehicles per owner, lock requests per vehicle per hour).
class LimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Any failure of a store to reach or use the database (connection refused,
// bad URL, failed query). The message names the cause and never contains a
// password.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A store refused a write because the row it refers to does not exist (for
// example a connector of an unregistered charge point). The message may
// hold database detail: services that know what was missing say it with a
// NotFoundError instead.
class RowNotFoundError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

// A store refused a write that conflicts with an existing row (for example
// registering a charge point id twice).
class RowConflictError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

}  // namespace chargelock::core
