// The API the execution and state machine verbs are written against, once:
// `exec start|describe|list|history|stop|redrive` and `machine create|
// update|describe|list|delete` call an ApiClient and cannot tell whether it
// is a server (RemoteApi: gRPC to --server / STEPFLOW_SERVER / 127.0.0.1:7233)
// or the engine in this process over a database file (LocalApi: --db). Both
// answer with the plain structs of api::ControlPlane (engine/api/), and both
// fail with a Status whose message is the API's own, so a verb prints the
// same output and the same error line in both modes:
//
//   stepflow: VERB: CODE: message          (CODE as gRPC names it: NOT_FOUND, ...)
//
// Embedded mode runs executions in this process: StartExecution and
// RedriveExecution queue the work, WaitForEnd runs it to its end (SIGINT or
// SIGTERM stops it there, the execution left RUNNING and checkpointed). A
// remote WaitForEnd follows the execution on the server.
//
// No gRPC header is included here. Thread-safety: one client per command,
// used from one thread.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/control_plane.h"
#include "engine/cli/client.h"
#include "engine/cli/commands.h"
#include "engine/common/status.h"
#include "engine/store/store.h"

namespace stepflow::cli {

// What deployed functions wrote during the calls of one execution, by the
// call's idempotency key (format.h CallLogs).
using CallLogMap = std::map<std::string, std::string>;

class ApiClient {
 public:
  ApiClient(std::string verb, std::ostream& err) : verb_(std::move(verb)), err_(err) {}
  virtual ~ApiClient() = default;
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const std::string& verb() const { return verb_; }
  std::ostream& err() const { return err_; }
  // True for the engine in this process (--db).
  virtual bool embedded() const = 0;
  // Prints the error line "stepflow: VERB: CODE: message" and returns 1,
  // the exit code of a failed call.
  int Fail(const Status& status) const;

  // ------------------------------------------------------ state machines
  // Create (update = false) or UpdateStateMachine.
  virtual Result<api::MachineVersionRef> PutStateMachine(const std::string& name,
                                                         const std::string& definition,
                                                         bool update) = 0;
  virtual Result<api::MachineDescription> DescribeStateMachine(const std::string& name,
                                                               int64_t version) = 0;
  // MachineSummary::updated_ms is the newest version's creation time.
  virtual Result<api::Page<api::MachineSummary>> ListStateMachines(
      const api::PageRequest& page) = 0;
  virtual Status DeleteStateMachine(const std::string& name, bool purge) = 0;
  virtual Result<api::Validation> ValidateDefinition(const std::string& definition) = 0;

  // ---------------------------------------------------------- executions
  // Answers once ExecutionStarted is committed.
  virtual Result<api::Started> StartExecution(const api::StartRequest& request) = 0;
  virtual Result<api::ExecutionDetail> DescribeExecution(const std::string& id) = 0;
  // One page; records without input and output.
  virtual Result<api::Page<store::ExecutionRecord>> ListExecutions(
      const api::ExecutionQuery& query) = 0;
  // The stop time, once ExecutionAborted is committed.
  virtual Result<int64_t> StopExecution(const std::string& id, const std::string& error,
                                        const std::optional<std::string>& cause) = 0;
  // The redrive time, once ExecutionRedriven is committed.
  virtual Result<int64_t> RedriveExecution(const std::string& id) = 0;
  // One page of events (query.max_results > 0), or every event from the
  // token on in pages (next_token set while more follow).
  virtual Result<api::Page<store::HistoryEvent>> GetHistory(const api::HistoryQuery& query) = 0;
  // Calls `on_events` with the execution's events, oldest first, as they
  // are committed, until the execution has closed.
  virtual Status FollowHistory(
      const std::string& id,
      const std::function<void(const std::vector<store::HistoryEvent>&)>& on_events) = 0;
  // The execution once it has ended. Embedded: runs it (and whatever else
  // was queued) to its end here; on SIGINT/SIGTERM returns kUnavailable
  // with reason "Interrupted" after saying on err what was left RUNNING and
  // how to resume or stop it.
  virtual Result<store::ExecutionRecord> WaitForEnd(const std::string& id) = 0;
  // What deployed functions wrote during the execution's Task calls.
  virtual Result<CallLogMap> GetCallLogs(const std::string& execution_id) = 0;

 private:
  std::string verb_;
  std::ostream& err_;
};

// A server through gRPC (options.server must be set).
std::unique_ptr<ApiClient> ConnectRemote(const std::string& verb, const ClientOptions& options,
                                         std::ostream& err);

// What an embedded verb does with the database, which decides how it is
// opened:
enum class LocalAccess {
  kRead,    // reads only: the file must exist; no lock (a server or a run may hold it)
  kCreate,  // machine create/update: the file is created when missing; shared lock
  kWrite,   // machine delete, exec start, exec redrive: the file must exist; shared lock
  kStop,    // exec stop: the file must exist; the lock alone (nobody else runs it)
};

// The engine in this process over options.db. Null after printing on `err`
// why the database cannot be opened (no such file, locked, not a stepflow
// database): bad usage, exit 2.
std::unique_ptr<ApiClient> OpenLocal(const std::string& verb, const EngineOptions& options,
                                     LocalAccess access, std::ostream& err);

// "NOT_FOUND", "INVALID_ARGUMENT", ... for a Status code, as gRPC names its
// codes (kAslError: INTERNAL).
std::string_view CodeName(StatusCode code);

// ------------------------------------------------------------ the verbs
// Written once against ApiClient; output and exit codes as client.h says.

struct ListArgs {
  std::string machine, status;
  int32_t max_results = 0;  // 0 = every page
  std::string next_token;
  bool oldest_first = false;
};

int StartVerb(ApiClient& api, const StartArgs& args, bool json, std::ostream& out);
int DescribeVerb(ApiClient& api, const std::string& id, bool json, std::ostream& out);
int ListVerb(ApiClient& api, const ListArgs& args, bool json, std::ostream& out);
int HistoryVerb(ApiClient& api, const HistoryArgs& args, bool json, std::ostream& out);
int StopVerb(ApiClient& api, const std::string& id, const std::string& error,
             const std::optional<std::string>& cause, bool json, std::ostream& out);
// Remote: prints the id (--json {"executionId","redriveMs"}), or with `wait`
// the result. Embedded: always runs the execution to its end and prints the
// result.
int RedriveVerb(ApiClient& api, const std::string& id, bool wait, bool json, std::ostream& out);

int MachinePutVerb(ApiClient& api, const std::string& name, const std::string& file, bool update,
                   bool json, std::ostream& out);
int MachineDescribeVerb(ApiClient& api, const std::string& name, int64_t version, bool json,
                        std::ostream& out);
int MachineListVerb(ApiClient& api, bool json, std::ostream& out);
int MachineDeleteVerb(ApiClient& api, const std::string& name, bool purge, bool json,
                      std::ostream& out);

}  // namespace stepflow::cli
