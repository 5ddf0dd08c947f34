// Errors raised by storage, with a message that names the cause.
#pragma once

#include <stdexcept>
#include <string>

namespace chargelock::storage {

// Any failure to reach or use the database (connection refused, bad URL,
// failed query). The message names the cause and never contains a password.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write was refused because the row it refers to does not exist (for
// example a connector of an unregistered charge point).
class NotFoundError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

// A write conflicts with an existing row (for example registering a charge
// point id twice).
class ConflictError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

}  // namespace chargelock::storage
