// The pile's configuration: the standard OCPP 1.6 keys (Core, Local Auth List
// Management, Reservation, Smart Charging profiles) with their types, access
// and defaults. GetConfiguration reads it, ChangeConfiguration writes it, and
// the charge point takes its intervals and behaviour from it.
//
// Contract:
// - Keys are matched case-sensitively, as OCPP 1.6 §9 spells them.
// - change() answers as ChangeConfiguration.conf does: NotSupported for an
//   unknown key, Rejected for a read-only key or a value of the wrong type
//   (booleans "true"/"false" in any case; integers >= 0; measurand lists only
//   with measurands this simulator samples), Accepted otherwise.
// - Only values that differ from the defaults are stored (piles are many).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chargelock::pilesim {

struct ConfigurationEntry {
  std::string key;
  std::string value;
  bool readonly = false;
};

enum class ConfigurationChange { Accepted, Rejected, NotSupported };

class ConfigurationStore {
 public:
  explicit ConfigurationStore(int connectors);

  std::optional<ConfigurationEntry> get(std::string_view key) const;
  std::vector<ConfigurationEntry> all() const;  // in the order of OCPP 1.6 §9
  ConfigurationChange change(std::string_view key, std::string_view value);

  // Typed reads of known keys (a default of 0 / false for unknown keys).
  std::int64_t integer(std::string_view key) const;
  bool boolean(std::string_view key) const;
  std::vector<std::string> list(std::string_view key) const;  // comma separated

  // The measurands MeterValuesSampledData may name (those this simulator samples).
  static const std::vector<std::string_view>& sampled_measurands();

 private:
  std::optional<std::size_t> index_of(std::string_view key) const;
  std::string value_at(std::size_t index) const;

  int connectors_;
  std::vector<std::pair<std::uint8_t, std::string>> overrides_;
};

}  // namespace chargelock::pilesim
