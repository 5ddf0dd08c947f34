// The versioned SQL migrations, compiled into the binary from
// storage/migrations/NNNN_description.sql (see embed_migrations.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace chargelock::storage {

struct Migration {
  int version;            // NNNN from the file name; strictly increasing
  std::string_view name;  // file name, for logs
  std::string_view sql;   // whole file; may hold several statements
};

// Sorted by version.
const std::vector<Migration>& embedded_migrations();

}  // namespace chargelock::storage
