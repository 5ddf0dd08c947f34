// The registration-time check of an owner's webhook URL (SPEC §7): its host
// must be, or resolve only to, public addresses (core/network_address.h)
// unless the operator allows others (--webhook-allow-private). The webhook
// client repeats the check on the address it connects to at every delivery,
// since DNS answers can change.
//
// Thread contract: resolves the name with the system's getaddrinfo, which
// blocks: call it on an API worker, never on the HTTP loop.
#pragma once

#include "core/webhook_service.h"

namespace chargelock::api {

// Throws ApiError 400 naming the address and its class when `url`'s host is
// or resolves to a non-public address. A name that does not resolve now is
// let through: the delivery check refuses it later if it then resolves to
// a non-public address, and a transient DNS failure must not block owners.
void check_webhook_destination(const core::WebhookUrl& url);

}  // namespace chargelock::api
