// The control plane's messages (service.proto, history.proto) and the
// store's structs, both ways: the server fills messages from records, the
// CLI turns them back into records for the printers the embedded verbs use.
// One place, so the two sides cannot drift. Includes generated code: for the
// rpc and cli modules only.
#pragma once

#include "engine/store/store.h"
#include "stepflow/v1/service.pb.h"

namespace stepflow::rpc {

// `with_data`: input and output too (DescribeExecution; ListExecutions
// leaves them out, as Step Functions does).
void FillExecution(const store::ExecutionRecord& record, bool with_data,
                   stepflow::v1::Execution* out);
void FillEvent(const store::HistoryEvent& event, stepflow::v1::HistoryEvent* out);

store::ExecutionRecord ToRecord(const stepflow::v1::Execution& execution);
store::HistoryEvent ToEvent(const stepflow::v1::HistoryEvent& event);

}  // namespace stepflow::rpc
