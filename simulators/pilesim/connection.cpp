#include "simulators/pilesim/connection.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "base/pattern.h"

namespace chargelock::pilesim {
namespace {

constexpr char kSubprotocol[] = "ocpp1.6";
constexpr std::size_t kMaxMessage = 1 << 20;
constexpr int kMaxConnectionErrorLines = 20;

lws_protocols g_protocols[] = {
    {kSubprotocol, nullptr, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Percent-encodes what may not stand in a URL path segment.
std::string path_segment(const std::string& id) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

}  // namespace

std::int64_t PileNetwork::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PileNetwork::PileNetwork(const NetworkSettings& settings, std::vector<ChargePoint>& piles,
                         Reporter& reporter)
    : settings_(settings), piles_(piles), reporter_(reporter) {
  lws_set_log_level(settings_.verbose ? (LLL_ERR | LLL_WARN) : LLL_ERR, nullptr);
  g_protocols[0].callback = &PileNetwork::callback;

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = g_protocols;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.timeout_secs = 30;  // see the vhost below
  if (settings_.url.tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = this;
  context_ = lws_create_context(&info);
  if (context_ == nullptr) throw std::runtime_error("cannot create the libwebsockets context");

  auto make_vhost = [&](const std::string& name, const std::string& cert, const std::string& key) {
    lws_context_creation_info vinfo;
    std::memset(&vinfo, 0, sizeof vinfo);
    vinfo.port = CONTEXT_PORT_NO_LISTEN;
    vinfo.protocols = g_protocols;
    vinfo.vhost_name = name.c_str();
    vinfo.user = this;
    // A central system in a boot storm may take a while to answer the
    // upgrade; with lws's 5 s default, 5,000 piles against one node lost
    // 2,000 handshakes, closed by lws without a callback (never retried).
    vinfo.timeout_secs = 30;
    if (settings_.url.tls) {
      vinfo.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      if (!settings_.ca.empty()) vinfo.client_ssl_ca_filepath = settings_.ca.c_str();
      if (!cert.empty()) {
        vinfo.client_ssl_cert_filepath = cert.c_str();
        vinfo.client_ssl_private_key_filepath = key.c_str();
      }
    }
    lws_vhost* vhost = lws_create_vhost(context_, &vinfo);
    if (vhost == nullptr) {
      throw std::runtime_error("cannot set up the client TLS context" +
                               (cert.empty() ? std::string() : " for " + cert + " / " + key));
    }
    return vhost;
  };
  default_vhost_ = make_vhost("pilesim", "", "");
  wake_.network = this;
  slots_.resize(piles_.size());
  links_.resize(piles_.size());
  for (std::size_t i = 0; i < piles_.size(); ++i) {
    std::memset(&slots_[i].sul, 0, sizeof slots_[i].sul);
    slots_[i].network = this;
    slots_[i].index = i;
    if (!settings_.cert_pattern.empty()) {
      const int n = settings_.first_number + static_cast<int>(i);
      const std::string cert = base::expand_pattern(settings_.cert_pattern, n);
      if (cert_vhosts_.count(cert) == 0) {
        cert_vhosts_[cert] = make_vhost("pilesim-" + std::to_string(cert_vhosts_.size() + 1), cert,
                                        base::expand_pattern(settings_.key_pattern, n));
      }
    }
  }
}

PileNetwork::~PileNetwork() {
  destroying_ = true;
  lws_sul_cancel(&wake_.sul);
  for (auto& periodic : periodic_) lws_sul_cancel(&periodic->sul);
  lws_context_destroy(context_);
}

lws_vhost* PileNetwork::vhost_for(std::size_t index) {
  if (settings_.cert_pattern.empty()) return default_vhost_;
  const int n = settings_.first_number + static_cast<int>(index);
  return cert_vhosts_.at(base::expand_pattern(settings_.cert_pattern, n));
}

std::string PileNetwork::password_for(std::size_t index) const {
  return base::expand_pattern(settings_.password_pattern,
                              settings_.first_number + static_cast<int>(index));
}

void PileNetwork::connect(std::size_t index) {
  Link& link = links_[index];
  if (link.wsi != nullptr) return;
  const std::string path = settings_.url.path + "/" + path_segment(piles_[index].id());
  lws_client_connect_info info;
  std::memset(&info, 0, sizeof info);
  info.context = context_;
  info.address = settings_.url.host.c_str();
  info.port = settings_.url.port;
  info.path = path.c_str();
  info.host = info.address;
  info.origin = info.address;
  info.protocol = kSubprotocol;
  info.local_protocol_name = kSubprotocol;
  info.ietf_version_or_minus_one = -1;
  info.ssl_connection = settings_.url.tls ? LCCSCF_USE_SSL : 0;
  info.vhost = vhost_for(index);
  info.opaque_user_data = &slots_[index];
  info.pwsi = &link.wsi;
  link.closing = false;
  link.partial.clear();
  if (lws_client_connect_via_info(&info) == nullptr) {
    link.wsi = nullptr;
    piles_[index].on_disconnected(now_ms());
  }
}

void PileNetwork::pump(std::size_t index) {
  if (destroying_) return;
  ChargePoint& pile = piles_[index];
  Link& link = links_[index];
  if (pile.take_disconnect_request() && link.wsi != nullptr) {
    link.closing = true;
    lws_callback_on_writable(link.wsi);
  }
  if (pile.take_connect_request()) connect(index);
  if (link.wsi != nullptr && !link.closing && pile.has_outgoing()) {
    lws_callback_on_writable(link.wsi);
  }
  const std::int64_t next = pile.next_wakeup();
  if (next == link.scheduled) return;
  link.scheduled = next;
  if (next == kNever) return;  // its heap entry, if any, is now stale
  wakeups_.emplace(next, index);
  if (next < wake_armed_at_) arm_wakeup();
}

void PileNetwork::arm_wakeup() {
  while (!wakeups_.empty() && links_[wakeups_.top().second].scheduled != wakeups_.top().first)
    wakeups_.pop();
  if (wakeups_.empty()) {
    lws_sul_cancel(&wake_.sul);
    wake_armed_at_ = kNever;
    return;
  }
  wake_armed_at_ = wakeups_.top().first;
  const std::int64_t delay_ms = std::max<std::int64_t>(1, wake_armed_at_ - now_ms());
  lws_sul_schedule(context_, 0, &wake_.sul, &PileNetwork::on_wakeup, delay_ms * LWS_US_PER_MS);
}

void PileNetwork::on_wakeup(lws_sorted_usec_list_t* sul) {
  PileNetwork& network = *reinterpret_cast<Slot*>(sul)->network;
  network.wake_armed_at_ = kNever;
  const std::int64_t now = now_ms();
  while (!network.wakeups_.empty() && network.wakeups_.top().first <= now) {
    const auto [at, index] = network.wakeups_.top();
    network.wakeups_.pop();
    if (network.links_[index].scheduled != at) continue;  // stale
    network.links_[index].scheduled = kNever;
    network.piles_[index].tick(now);
    network.pump(index);
  }
  network.arm_wakeup();
}

void PileNetwork::every(std::int64_t interval_ms, std::function<void(std::int64_t)> fn) {
  auto periodic = std::make_unique<Periodic>();
  std::memset(&periodic->sul, 0, sizeof periodic->sul);
  periodic->network = this;
  periodic->id = periodic_fn_.size();
  periodic_interval_.push_back(interval_ms);
  periodic_fn_.push_back(std::move(fn));
  lws_sul_schedule(context_, 0, &periodic->sul, &PileNetwork::on_periodic,
                   interval_ms * LWS_US_PER_MS);
  periodic_.push_back(std::move(periodic));
}

void PileNetwork::on_periodic(lws_sorted_usec_list_t* sul) {
  Periodic* periodic = reinterpret_cast<Periodic*>(sul);
  PileNetwork& network = *periodic->network;
  const std::size_t id = periodic->id;
  lws_sul_schedule(network.context_, 0, &periodic->sul, &PileNetwork::on_periodic,
                   network.periodic_interval_[id] * LWS_US_PER_MS);
  network.periodic_fn_[id](now_ms());
}

void PileNetwork::run() {
  for (std::size_t i = 0; i < piles_.size(); ++i) pump(i);
  while (!stopping_.load()) {
    if (lws_service(context_, 0) < 0) break;
  }
}

void PileNetwork::stop() {
  stopping_.store(true);
  if (context_ != nullptr) lws_cancel_service(context_);
}

int PileNetwork::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                          std::size_t len) {
  if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS) {
    // Without --ca the system's trust store verifies the server.
    SSL_CTX_set_default_verify_paths(static_cast<SSL_CTX*>(user));
    return 0;
  }
  auto* slot = static_cast<Slot*>(lws_get_opaque_user_data(wsi));
  if (slot == nullptr || slot->network == nullptr) {
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  return slot->network->handle(*slot, wsi, reason, in, len);
}

int PileNetwork::handle(Slot& slot, lws* wsi, lws_callback_reasons reason, void* in,
                        std::size_t len) {
  const std::size_t index = slot.index;
  ChargePoint& pile = piles_[index];
  Link& link = links_[index];
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      if (settings_.password_pattern.empty()) return 0;
      const std::string value = "Basic " + base64(pile.id() + ":" + password_for(index));
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                       reinterpret_cast<const unsigned char*>(value.c_str()),
                                       static_cast<int>(value.size()), p, end)) {
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (destroying_) return -1;
      link.wsi = wsi;
      link.error_reported = false;
      pile.on_connected(now_ms());
      pump(index);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (destroying_) return 0;
      const char* data = static_cast<const char*>(in);
      if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi)) {
        pile.on_text(std::string_view(data, len), now_ms());
      } else {
        if (link.partial.size() + len > kMaxMessage) return -1;
        link.partial.append(data, len);
        if (lws_is_final_fragment(wsi)) {
          const std::string message = std::move(link.partial);
          link.partial.clear();
          pile.on_text(message, now_ms());
        }
      }
      pump(index);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (link.closing || destroying_) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
      }
      if (!pile.has_outgoing()) return 0;
      const std::string frame = pile.pop_outgoing();
      write_buffer_.resize(LWS_PRE + frame.size());
      std::memcpy(write_buffer_.data() + LWS_PRE, frame.data(), frame.size());
      if (lws_write(wsi, write_buffer_.data() + LWS_PRE, frame.size(), LWS_WRITE_TEXT) <
          static_cast<int>(frame.size())) {
        return -1;
      }
      if (pile.has_outgoing()) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (!link.error_reported && connection_errors_reported_ < kMaxConnectionErrorLines &&
          !destroying_) {
        link.error_reported = true;
        ++connection_errors_reported_;
        reporter_.note(pile.id(), std::string("cannot connect: ") +
                                      (in != nullptr ? static_cast<const char*>(in) : "unknown") +
                                      (connection_errors_reported_ == kMaxConnectionErrorLines
                                           ? " (further connection errors are only counted)"
                                           : ""));
      }
      [[fallthrough]];
    case LWS_CALLBACK_CLIENT_CLOSED:
      link.wsi = nullptr;
      link.closing = false;
      link.partial.clear();
      if (destroying_) return 0;
      pile.on_disconnected(now_ms());
      pump(index);
      return 0;
    default:
      return 0;
  }
}

}  // namespace chargelock::pilesim
