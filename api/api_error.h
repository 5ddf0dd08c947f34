// An error answer of the REST API: HTTP status plus the text of
// {"error": "..."}. Thrown by endpoint code, turned into a response by the
// router.
#pragma once

#include <stdexcept>
#include <string>

namespace chargelock::api {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

inline ApiError bad_request(const std::string& message) { return ApiError(400, message); }
inline ApiError not_found(const std::string& message) { return ApiError(404, message); }
inline ApiError conflict(const std::string& message) { return ApiError(409, message); }

}  // namespace chargelock::api
