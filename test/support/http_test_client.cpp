#include "test/support/http_test_client.h"

#include <cctype>

#include "test/support/raw_http.h"

namespace chargelock::test {

namespace {

base::HttpClientOptions options_for(const std::string& ca_file) {
  base::HttpClientOptions options;
  options.ca_file = ca_file;
  options.user_agent.clear();
  return options;
}

bool same_name(const std::string& name, const char* lower_case) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == lower_case;
}

}  // namespace

rapidjson::Document HttpResult::json() const {
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  return document;
}

std::string HttpResult::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpTestClient::HttpTestClient(int port, std::string bearer_token)
    : HttpTestClient(port, std::move(bearer_token), std::string()) {}

HttpTestClient::HttpTestClient(int port, std::string bearer_token, std::string ca_file)
    : port_(port),
      token_(std::move(bearer_token)),
      base_url_((ca_file.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
                std::to_string(port)),
      http_(options_for(ca_file)) {}

base::HttpRequest HttpTestClient::make_request(
    const std::string& method, const std::string& path, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  base::HttpRequest request;
  request.method = method;
  request.url = base_url_ + path;
  request.body = body;
  request.timeout = timeout;
  bool has_authorization = false;
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    request.headers.emplace_back(name, value);
    has_authorization = has_authorization || same_name(name, "authorization");
    has_type = has_type || same_name(name, "content-type");
  }
  if (!token_.empty() && !has_authorization)
    request.headers.emplace_back("Authorization", "Bearer " + token_);
  if (!body.empty() && !has_type) request.headers.emplace_back("Content-Type", "application/json");
  return request;
}

HttpResult HttpTestClient::result_of(base::HttpResponse response) {
  HttpResult result;
  result.status = response.status.value_or(0);
  for (auto& [name, value] : response.headers) result.headers[name] = std::move(value);
  result.body = std::move(response.body);
  error_ = std::move(response.error);
  reused_ = response.reused_connection;
  return result;
}

HttpResult HttpTestClient::request(
    const std::string& method, const std::string& path, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  return result_of(http_.send(make_request(method, path, body, headers)));
}

HttpResult HttpTestClient::raw(const std::string& bytes) {
  reused_ = false;
  return raw_http_exchange(port_, bytes, timeout);
}

HttpResult HttpTestClient::open_stream(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers) {
  stream_text_.clear();
  return result_of(http_.open_stream(make_request("GET", path, {}, headers)));
}

bool HttpTestClient::read_stream_until(const std::string& needle, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (stream_text_.find(needle) != std::string::npos) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !http_.read_stream(stream_text_, left))
      return stream_text_.find(needle) != std::string::npos;
  }
}

}  // namespace chargelock::test
