#include "engine/rpc/proto_convert.h"

#include "engine/runtime/clock.h"

namespace stepflow::rpc {

void FillExecution(const store::ExecutionRecord& r, bool with_data, stepflow::v1::Execution* out) {
  out->set_execution_id(r.id);
  out->set_state_machine(r.machine);
  out->set_version(r.version);
  out->set_name(r.name);
  out->set_status(r.status);
  if (with_data) {
    out->set_input_json(r.input);
    if (r.output) out->set_output_json(*r.output);
  }
  if (r.error) out->set_error(*r.error);
  if (r.cause) out->set_cause(*r.cause);
  out->set_start_ms(r.start_ms);
  out->set_stop_ms(r.stop_ms.value_or(0));
  out->set_redrive_count(r.redrive_count);
  out->set_redrive_ms(r.redrive_ms.value_or(0));
  out->set_parent_execution_id(r.parent_id);
}

void FillEvent(const store::HistoryEvent& e, stepflow::v1::HistoryEvent* out) {
  out->set_id(e.id);
  out->set_previous_event_id(e.previous_event_id);
  out->set_timestamp_ms(e.timestamp_ms);
  out->set_timestamp(runtime::FormatTimestamp(e.timestamp_ms));
  out->set_type(e.type);
  out->set_state_path(e.state_path);
  out->set_details_json(e.details);
}

store::ExecutionRecord ToRecord(const stepflow::v1::Execution& e) {
  store::ExecutionRecord r;
  r.id = e.execution_id();
  r.machine = e.state_machine();
  r.version = e.version();
  r.name = e.name();
  r.status = e.status();
  r.input = e.input_json();
  if (e.has_output_json()) r.output = e.output_json();
  if (e.has_error()) r.error = e.error();
  if (e.has_cause()) r.cause = e.cause();
  r.redrive_count = e.redrive_count();
  r.start_ms = e.start_ms();
  if (e.stop_ms() != 0) r.stop_ms = e.stop_ms();
  if (e.redrive_ms() != 0) r.redrive_ms = e.redrive_ms();
  r.parent_id = e.parent_execution_id();
  return r;
}

store::HistoryEvent ToEvent(const stepflow::v1::HistoryEvent& e) {
  store::HistoryEvent h;
  h.id = e.id();
  h.previous_event_id = e.previous_event_id();
  h.timestamp_ms = e.timestamp_ms();
  h.type = e.type();
  h.state_path = e.state_path();
  h.details = e.details_json();
  return h;
}

}  // namespace stepflow::rpc
