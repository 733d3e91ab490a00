// stepflow_hello_worker: the smallest stepflow::worker program.
//   greet  {"name": N} → {"greeting": "Hello, N!"}
//   fail   always fails with error "Hello.Failed"
// Prints "PORT <n>" once listening; exits 0 on SIGTERM/SIGINT.
#include <iostream>

#include "stepflow/worker.h"

int main() {
  using stepflow::worker::Call;
  using stepflow::worker::TaskError;
  stepflow::worker::Worker worker;
  worker.Register("greet", [](const nlohmann::json& input, const Call&) {
    return nlohmann::json{{"greeting", "Hello, " + input.value("name", "world") + "!"}};
  });
  worker.Register("fail", [](const nlohmann::json&, const Call& call) -> nlohmann::json {
    throw TaskError("Hello.Failed", "attempt " + std::to_string(call.attempt) + " failed");
  });
  stepflow::worker::Worker::InstallSignalHandlers();
  try {
    std::cout << "PORT " << worker.Start() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "stepflow_hello_worker: " << e.what() << "\n";
    return 1;
  }
  worker.Wait();
  return 0;
}
