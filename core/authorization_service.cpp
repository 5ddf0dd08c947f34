#include "core/authorization_service.h"

#include <algorithm>
#include <stdexcept>

#include "core/domain_errors.h"

namespace chargelock::core {

const char* to_string(AuthorizationStatus status) {
  switch (status) {
    case AuthorizationStatus::Accepted:
      return "Accepted";
    case AuthorizationStatus::Blocked:
      return "Blocked";
    case AuthorizationStatus::Expired:
      return "Expired";
    case AuthorizationStatus::Invalid:
      return "Invalid";
    case AuthorizationStatus::ConcurrentTx:
      return "ConcurrentTx";
  }
  return "Invalid";
}

AuthorizationService::AuthorizationService(IdTagStore& id_tags, TransactionStore& transactions)
    : id_tags_(id_tags), transactions_(transactions) {}

IdTagInfo AuthorizationService::authorize(const AuthorizationContext& context,
                                          const std::string& id_tag) {
  IdTagInfo info;
  const auto tag = id_tags_.find(id_tag);
  if (tag) {
    info.expiry_date = tag->expiry_date;
    info.parent_id_tag = tag->parent_id_tag;
  }
  if (policy_) {
    if (auto verdict = policy_->check(context, id_tag)) {
      info.status = *verdict;
      return info;
    }
  }
  if (!tag) {
    info.status = AuthorizationStatus::Invalid;
    return info;
  }
  switch (tag->status) {
    case IdTagStatus::Blocked:
      info.status = AuthorizationStatus::Blocked;
      return info;
    case IdTagStatus::Expired:
      info.status = AuthorizationStatus::Expired;
      return info;
    case IdTagStatus::Invalid:
      info.status = AuthorizationStatus::Invalid;
      return info;
    case IdTagStatus::Accepted:
      break;
  }
  if (tag->expiry_date && *tag->expiry_date <= Clock::now()) {
    info.status = AuthorizationStatus::Expired;
    return info;
  }
  if (context.check_concurrent) {
    for (const auto& open : transactions_.open_for_id_tag(id_tag)) {
      if (context.ignore_transaction_id && open.id == *context.ignore_transaction_id) continue;
      const bool same_place = open.charge_point_id == context.charge_point_id &&
                              (!context.connector_id || open.connector_id == *context.connector_id);
      if (!same_place) {
        info.status = AuthorizationStatus::ConcurrentTx;
        return info;
      }
    }
  }
  info.status = AuthorizationStatus::Accepted;
  return info;
}

void AuthorizationService::put_id_tag(const IdTag& tag) {
  if (tag.id_tag.empty() || tag.id_tag.size() > 20)
    throw std::invalid_argument("idTag must be 1 to 20 characters");
  if (tag.parent_id_tag && (tag.parent_id_tag->empty() || tag.parent_id_tag->size() > 20))
    throw std::invalid_argument("parentIdTag must be 1 to 20 characters");
  // OCPP id tags are printable (CiString); a control character could also
  // end up in an HTTP header (Location) or a log line.
  const auto printable = [](const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
  };
  if (!printable(tag.id_tag) || (tag.parent_id_tag && !printable(*tag.parent_id_tag)))
    throw std::invalid_argument("idTag and parentIdTag must not contain control characters");
  try {
    id_tags_.upsert(tag);
  } catch (const RowNotFoundError&) {
    throw std::invalid_argument("ownerId: no owner " + std::to_string(tag.owner_id.value_or(0)));
  }
}

std::optional<IdTag> AuthorizationService::find_id_tag(const std::string& id_tag) {
  return id_tags_.find(id_tag);
}

std::vector<IdTag> AuthorizationService::list_id_tags() { return id_tags_.list(); }

bool AuthorizationService::remove_id_tag(const std::string& id_tag) {
  return id_tags_.remove(id_tag);
}

}  // namespace chargelock::core
