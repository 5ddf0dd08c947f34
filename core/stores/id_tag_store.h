// Id tags (RFID cards, app tokens) known to the central system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/id_tag.h"
#include "core/timestamp.h"

namespace chargelock::core {

class IdTagStore {
 public:
  virtual ~IdTagStore() = default;
  // Creates the tag or replaces every field of an existing one.
  virtual void upsert(const IdTag& tag) = 0;
  virtual std::optional<IdTag> find(const std::string& id_tag) = 0;
  virtual std::vector<IdTag> list() = 0;  // ordered by id tag
  // Returns false when the tag is unknown.
  virtual bool remove(const std::string& id_tag) = 0;
};

}  // namespace chargelock::core
