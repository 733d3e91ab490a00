#include "engine/cli/server_command.h"

#include <ostream>

namespace stepflow::cli {

int ServerCommand(const ServerOptions&, std::ostream&, std::ostream& err) {
  err << "stepflow server: not built yet\n";
  return 2;
}

}  // namespace stepflow::cli
