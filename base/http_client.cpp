#include "base/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "base/url.h"

namespace chargelock::base {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool has_header(const HttpHeaders& headers, const std::string& lower_case_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return lower(h.first) == lower_case_name; });
}

// What one transfer collects through libcurl's callbacks.
struct Transfer {
  const HttpClientOptions* options = nullptr;
  HttpResponse response;
  int head_status = 0;        // of the head being read
  bool head_done = false;     // a final (not 1xx) head was read completely
  bool body_skipped = false;  // the write callback stopped the transfer on purpose
  std::string refused;        // why check_address refused the last address
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    transfer.response.headers.clear();  // a new head (after "100 Continue")
    const auto space = line.find(' ');
    transfer.head_status = space == std::string::npos ? 0 : std::atoi(line.c_str() + space + 1);
  } else if (line.empty()) {
    if (transfer.head_status >= 200) transfer.head_done = true;
  } else if (const auto colon = line.find(':'); colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    transfer.response.headers.emplace_back(lower(line.substr(0, colon)), std::move(value));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (!transfer.options->read_body) {
    transfer.body_skipped = true;
    return 0;  // ends the transfer: the head was all that was wanted
  }
  transfer.response.body.append(data, size * count);
  return size * count;
}

curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (transfer.options->check_address) {
    if (auto why = transfer.options->check_address(address->addr)) {
      transfer.refused = std::move(*why);
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

// The transfer in progress lives here, not on send()'s stack, so that a
// stream outlives open_stream().
struct HttpClient::Handles {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  bool attached = false;  // `easy` is in `multi`: a transfer is open
  bool done = false;      // ... and has ended
  CURLcode result = CURLE_OK;
  Transfer transfer;
  std::unique_ptr<curl_slist, SlistFree> headers;
  std::string body;  // libcurl reads the request body from here
  Url url;
  char error[CURL_ERROR_SIZE] = {};

  void add_header(const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) throw std::bad_alloc();
    headers.release();
    headers.reset(grown);
  }
  void detach() {
    if (attached) curl_multi_remove_handle(multi, easy);
    attached = false;
  }
};

std::string HttpResponse::header(const std::string& lower_case_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_case_name) return value;
  return {};
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), handles_(new Handles) {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!options_.ca_file.empty() && !std::ifstream(options_.ca_file)) {
    delete handles_;
    throw std::runtime_error("cannot load CA certificates " + options_.ca_file);
  }
  handles_->multi = curl_multi_init();
  handles_->easy = curl_easy_init();
  if (handles_->multi == nullptr || handles_->easy == nullptr) {
    curl_easy_cleanup(handles_->easy);
    curl_multi_cleanup(handles_->multi);
    delete handles_;
    throw std::runtime_error("libcurl could not be set up");
  }
}

HttpClient::~HttpClient() {
  handles_->detach();
  curl_easy_cleanup(handles_->easy);
  curl_multi_cleanup(handles_->multi);
  delete handles_;
}

bool HttpClient::prepare(const HttpRequest& request, std::chrono::milliseconds timeout) {
  Handles& h = *handles_;
  h.detach();
  h.done = false;
  h.result = CURLE_OK;
  h.transfer = Transfer{};
  h.transfer.options = &options_;
  h.error[0] = '\0';
  if (cancelled_) {
    h.transfer.response.error = "cancelled (shutting down)";
    return false;
  }
  try {
    h.url = parse_url(request.url);
    if (h.url.scheme != "http" && h.url.scheme != "https")
      throw std::invalid_argument("url: must start with http:// or https://");
  } catch (const std::invalid_argument& e) {
    h.transfer.response.error = e.what();
    return false;
  }

  CURL* easy = h.easy;
  curl_easy_reset(easy);  // options only; kept connections stay in the multi handle
  h.headers.reset();
  // libcurl's own defaults that none of our peers asked for: no
  // "Expect: 100-continue" round trip, no form content type, no Accept.
  h.add_header("Expect:");
  if (!has_header(request.headers, "content-type")) h.add_header("Content-Type:");
  if (!has_header(request.headers, "accept")) h.add_header("Accept:");
  if (!options_.keep_alive) h.add_header("Connection: close");
  for (const auto& [name, value] : request.headers)
    h.add_header(value.empty() ? name + ";" : name + ": " + value);

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // never the environment's proxy
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, h.error);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.user_agent.empty())
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (!options_.keep_alive) {
    curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h.headers.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &h.transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &h.transfer);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &h.transfer);

  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      h.body = request.body;
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(h.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, h.body.data());
    }
    if (request.method != "GET" && request.method != "POST")
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_multi_add_handle(h.multi, easy);
  h.attached = true;
  return true;
}

bool HttpClient::run(const std::function<bool()>& until, SteadyClock::time_point deadline) {
  Handles& h = *handles_;
  // The multi interface only to wait in slices, so that cancel() and
  // `until` are seen within ~100 ms.
  for (;;) {
    int running = 0;
    curl_multi_perform(h.multi, &running);
    if (running == 0) {
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(h.multi, &left))
        if (message->msg == CURLMSG_DONE) h.result = message->data.result;
      h.done = true;
      return true;
    }
    if (cancelled_ || (until && until())) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    curl_multi_poll(h.multi, nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 100)),
                    nullptr);
  }
}

HttpResponse HttpClient::finish() {
  Handles& h = *handles_;
  HttpResponse response = std::move(h.transfer.response);
  long code = 0;
  curl_easy_getinfo(h.easy, CURLINFO_RESPONSE_CODE, &code);
  long connects = 0;
  curl_easy_getinfo(h.easy, CURLINFO_NUM_CONNECTS, &connects);
  h.detach();
  const CURLcode result = h.result;
  const std::string where = h.url.host + ":" + std::to_string(h.url.port);
  const std::string detail = h.error[0] != '\0' ? h.error : curl_easy_strerror(result);
  if (cancelled_ && !h.done) {
    response.error = "cancelled (shutting down)";
  } else if (!h.done) {
    response.error = "timed out";
  } else if (result == CURLE_OK || (result == CURLE_WRITE_ERROR && h.transfer.body_skipped)) {
    if (code > 0)
      response.status = static_cast<int>(code);
    else
      response.error = "connection closed without an answer";
  } else if (!h.transfer.refused.empty()) {
    response.error = "cannot connect to " + where + ": " + h.transfer.refused;
  } else if (result == CURLE_OPERATION_TIMEDOUT) {
    response.error = "timed out: " + detail;
  } else if (result == CURLE_COULDNT_RESOLVE_HOST) {
    response.error = "cannot resolve " + h.url.host + ": " + detail;
  } else if (result == CURLE_COULDNT_CONNECT) {
    response.error = "cannot connect to " + where + ": " + detail;
  } else if (result == CURLE_PEER_FAILED_VERIFICATION) {
    response.error = "TLS handshake failed: certificate not accepted: " + detail;
  } else if (result == CURLE_SSL_CONNECT_ERROR) {
    response.error = "TLS handshake failed: " + detail;
  } else if (result == CURLE_SSL_CACERT_BADFILE) {
    response.error = "cannot load CA certificates: " + detail;
  } else if (result == CURLE_GOT_NOTHING) {
    response.error = "connection closed without an answer";
  } else {
    response.error = detail;
  }
  response.reused_connection = response.status.has_value() && connects == 0;
  return response;
}

HttpResponse HttpClient::send(const HttpRequest& request) {
  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.timeout;
  if (!prepare(request, timeout)) return std::move(handles_->transfer.response);
  // libcurl's own timeout ends the transfer; the deadline is a backstop.
  run(nullptr, SteadyClock::now() + timeout + std::chrono::seconds(1));
  return finish();
}

HttpResponse HttpClient::open_stream(const HttpRequest& request) {
  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.timeout;
  if (!prepare(request, std::chrono::milliseconds(0)))
    return std::move(handles_->transfer.response);
  Transfer& transfer = handles_->transfer;
  const bool ended = run([&] { return transfer.head_done; }, SteadyClock::now() + timeout);
  if (ended || !transfer.head_done) return finish();  // a whole answer, or none
  if (transfer.head_status < 200 || transfer.head_status > 299) {
    // An ordinary answer (an error): read its body.
    run(nullptr, SteadyClock::now() + timeout);
    return finish();
  }
  HttpResponse head;
  head.status = transfer.head_status;
  head.headers = transfer.response.headers;
  return head;  // the body read so far stays for read_stream()
}

bool HttpClient::read_stream(std::string& into, std::chrono::milliseconds wait) {
  Handles& h = *handles_;
  if (!h.attached) return false;
  std::string& body = h.transfer.response.body;
  if (body.empty() && !h.done) run([&] { return !body.empty(); }, SteadyClock::now() + wait);
  const bool got = !body.empty();
  into += body;
  body.clear();
  if (h.done) h.detach();
  return got;
}

void HttpClient::close_stream() { handles_->detach(); }

}  // namespace chargelock::base
