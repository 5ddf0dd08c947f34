// Errors of the vehicle lock's domain services, for the API to map onto HTTP
// statuses: ConflictError → 409, ForbiddenError → 403, NotFoundError → 404,
// LimitError → 429, std::invalid_argument → 400.
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

}  // namespace chargelock::core
