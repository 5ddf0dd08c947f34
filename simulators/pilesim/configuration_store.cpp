#include "simulators/pilesim/configuration_store.h"

#include <algorithm>
#include <cctype>

namespace chargelock::pilesim {
namespace {

enum class Type { Bool, Int, MeasurandList, Text };

struct KeyInfo {
  std::string_view name;
  Type type;
  bool readonly;
  std::string_view default_value;  // "{connectors}" is replaced by the pile's count
};

const KeyInfo kKeys[] = {
    // Core profile
    {"AllowOfflineTxForUnknownId", Type::Bool, false, "false"},
    {"AuthorizationCacheEnabled", Type::Bool, false, "true"},
    {"AuthorizeRemoteTxRequests", Type::Bool, false, "true"},
    {"ClockAlignedDataInterval", Type::Int, false, "0"},
    {"ConnectionTimeOut", Type::Int, false, "60"},
    {"ConnectorPhaseRotation", Type::Text, false, "0.RST"},
    {"GetConfigurationMaxKeys", Type::Int, true, "50"},
    {"HeartbeatInterval", Type::Int, false, "300"},
    {"LocalAuthorizeOffline", Type::Bool, false, "true"},
    {"LocalPreAuthorize", Type::Bool, false, "false"},
    {"MeterValuesAlignedData", Type::MeasurandList, false, "Energy.Active.Import.Register"},
    {"MeterValuesSampledData", Type::MeasurandList, false,
     "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"},
    {"MeterValueSampleInterval", Type::Int, false, "60"},
    {"NumberOfConnectors", Type::Int, true, "{connectors}"},
    {"ResetRetries", Type::Int, false, "3"},
    {"StopTransactionOnEVSideDisconnect", Type::Bool, false, "true"},
    {"StopTransactionOnInvalidId", Type::Bool, false, "true"},
    {"StopTxnAlignedData", Type::MeasurandList, false, ""},
    {"StopTxnSampledData", Type::MeasurandList, false, ""},
    {"SupportedFeatureProfiles", Type::Text, true,
     "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"},
    {"TransactionMessageAttempts", Type::Int, false, "3"},
    {"TransactionMessageRetryInterval", Type::Int, false, "60"},
    {"UnlockConnectorOnEVSideDisconnect", Type::Bool, false, "true"},
    {"WebSocketPingInterval", Type::Int, false, "0"},
    // Local Auth List Management profile
    {"LocalAuthListEnabled", Type::Bool, false, "true"},
    {"LocalAuthListMaxLength", Type::Int, true, "1000"},
    {"SendLocalListMaxLength", Type::Int, true, "100"},
    // Reservation profile
    {"ReserveConnectorZeroSupported", Type::Bool, true, "false"},
    // Smart Charging profile
    {"ChargeProfileMaxStackLevel", Type::Int, true, "10"},
    {"ChargingScheduleAllowedChargingRateUnit", Type::Text, true, "Current,Power"},
    {"ChargingScheduleMaxPeriods", Type::Int, true, "24"},
    {"MaxChargingProfilesInstalled", Type::Int, true, "10"},
};

constexpr std::size_t kKeyCount = sizeof kKeys / sizeof kKeys[0];

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool valid_value(Type type, std::string_view value) {
  switch (type) {
    case Type::Bool:
      return iequals(value, "true") || iequals(value, "false");
    case Type::Int:
      return !value.empty() && value.size() <= 9 &&
             std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    case Type::MeasurandList: {
      for (const auto& item : split_list(value)) {
        const auto& known = ConfigurationStore::sampled_measurands();
        if (std::find(known.begin(), known.end(), item) == known.end()) return false;
      }
      return true;
    }
    case Type::Text:
      return value.size() <= 500;
  }
  return false;
}

}  // namespace

const std::vector<std::string_view>& ConfigurationStore::sampled_measurands() {
  static const std::vector<std::string_view> measurands = {"Energy.Active.Import.Register",
                                                           "Power.Active.Import",
                                                           "Current.Import",
                                                           "Voltage",
                                                           "SoC",
                                                           "Power.Offered",
                                                           "Current.Offered"};
  return measurands;
}

ConfigurationStore::ConfigurationStore(int connectors) : connectors_(connectors) {}

std::optional<std::size_t> ConfigurationStore::index_of(std::string_view key) const {
  for (std::size_t i = 0; i < kKeyCount; ++i) {
    if (kKeys[i].name == key) return i;
  }
  return std::nullopt;
}

std::string ConfigurationStore::value_at(std::size_t index) const {
  for (const auto& [i, value] : overrides_) {
    if (i == index) return value;
  }
  if (kKeys[index].default_value == "{connectors}") return std::to_string(connectors_);
  return std::string(kKeys[index].default_value);
}

std::optional<ConfigurationEntry> ConfigurationStore::get(std::string_view key) const {
  const auto index = index_of(key);
  if (!index) return std::nullopt;
  return ConfigurationEntry{std::string(kKeys[*index].name), value_at(*index),
                            kKeys[*index].readonly};
}

std::vector<ConfigurationEntry> ConfigurationStore::all() const {
  std::vector<ConfigurationEntry> out;
  out.reserve(kKeyCount);
  for (std::size_t i = 0; i < kKeyCount; ++i) {
    out.push_back({std::string(kKeys[i].name), value_at(i), kKeys[i].readonly});
  }
  return out;
}

ConfigurationChange ConfigurationStore::change(std::string_view key, std::string_view value) {
  const auto index = index_of(key);
  if (!index) return ConfigurationChange::NotSupported;
  const KeyInfo& info = kKeys[*index];
  if (info.readonly || !valid_value(info.type, value)) return ConfigurationChange::Rejected;
  std::string stored(value);
  if (info.type == Type::Bool) {
    stored = iequals(value, "true") ? "true" : "false";
  } else if (info.type == Type::Int) {
    stored = std::to_string(std::stoll(stored));
  }
  const auto i = static_cast<std::uint8_t>(*index);
  for (auto& entry : overrides_) {
    if (entry.first == i) {
      entry.second = std::move(stored);
      return ConfigurationChange::Accepted;
    }
  }
  overrides_.emplace_back(i, std::move(stored));
  return ConfigurationChange::Accepted;
}

std::int64_t ConfigurationStore::integer(std::string_view key) const {
  const auto index = index_of(key);
  if (!index || kKeys[*index].type != Type::Int) return 0;
  return std::stoll(value_at(*index));
}

bool ConfigurationStore::boolean(std::string_view key) const {
  const auto index = index_of(key);
  return index && kKeys[*index].type == Type::Bool && value_at(*index) == "true";
}

std::vector<std::string> ConfigurationStore::list(std::string_view key) const {
  const auto index = index_of(key);
  if (!index) return {};
  return split_list(value_at(*index));
}

}  // namespace chargelock::pilesim
