#include "finalizer_queue.h"

#include <algorithm>
#include <cstring>

#include "weak_handle.h"

namespace weakwire {

napi_status FinalizerQueue::Start(napi_env env) {
  napi_value name;
  napi_status status =
      napi_create_string_utf8(env, "weakwire:destructors", NAPI_AUTO_LENGTH, &name);
  if (status != napi_ok) return status;
  status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr,
                                           OnWakeFinalized, this, OnWake, &wake_);
  if (status != napi_ok) return status;
  return napi_unref_threadsafe_function(env, wake_);
}

napi_status FinalizerQueue::SetDispatcher(napi_env env, napi_value fn) {
  napi_ref fresh;
  napi_status status = napi_create_reference(env, fn, 1, &fresh);
  if (status != napi_ok) return status;
  if (dispatcher_ != nullptr) napi_delete_reference(env, dispatcher_);
  dispatcher_ = fresh;
  if (size() > 0) Wake();
  return napi_ok;
}

void FinalizerQueue::Push(uint32_t slot) {
  ready_.push_back(slot);
  Wake();
}

void FinalizerQueue::Wake() {
  if (wake_pending_ || stopped_ || wake_ == nullptr || dispatcher_ == nullptr) return;
  // Queues a call on the loop; does not touch the JavaScript heap.
  if (napi_call_threadsafe_function(wake_, nullptr, napi_tsfn_nonblocking) == napi_ok) {
    wake_pending_ = true;
  }
}

void FinalizerQueue::Stop(napi_env env) {
  stopped_ = true;
  if (dispatcher_ != nullptr) {
    napi_delete_reference(env, dispatcher_);
    dispatcher_ = nullptr;
  }
}

void FinalizerQueue::OnWakeFinalized(napi_env, void*, void* hint) {
  // The runtime closes the thread-safe function during teardown.
  static_cast<FinalizerQueue*>(hint)->wake_ = nullptr;
}

void FinalizerQueue::OnWake(napi_env env, napi_value, void* context, void*) {
  auto* self = static_cast<FinalizerQueue*>(context);
  self->wake_pending_ = false;
  // env is null when the runtime drains the queue during teardown: nothing may run then.
  if (env == nullptr || self->stopped_) return;
  self->Drain(env);
}

void FinalizerQueue::Drain(napi_env env) {
  if (draining_ || dispatcher_ == nullptr) return;
  draining_ = true;
  std::vector<uint32_t> batch;
  size_t count = std::min(size(), kMaxBatch);
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t slot = ready_[head_ + i];
    if (handles_->BeginDispatch(slot)) batch.push_back(slot);
  }
  head_ += count;
  if (head_ == ready_.size()) {
    ready_.clear();
    head_ = 0;
  } else if (head_ > ready_.size() / 2) {
    ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (!batch.empty()) RunBatch(env, batch);
  draining_ = false;
  if (size() > 0) Wake();
}

void FinalizerQueue::RunBatch(napi_env env, const std::vector<uint32_t>& batch) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    for (uint32_t slot : batch) handles_->EndDispatch(slot);
    return;
  }
  napi_value errors = nullptr;
  bool ok = false;
  void* bytes = nullptr;
  napi_value buffer, slots, dispatcher, global;
  size_t length = batch.size() * sizeof(uint32_t);
  if (napi_create_arraybuffer(env, length, &bytes, &buffer) == napi_ok &&
      napi_create_typedarray(env, napi_uint32_array, batch.size(), buffer, 0, &slots) == napi_ok &&
      napi_get_reference_value(env, dispatcher_, &dispatcher) == napi_ok && dispatcher != nullptr &&
      napi_get_undefined(env, &global) == napi_ok) {
    std::memcpy(bytes, batch.data(), length);
    ok = napi_call_function(env, global, dispatcher, 1, &slots, &errors) == napi_ok;
  }
  for (uint32_t slot : batch) handles_->EndDispatch(slot);

  if (!ok) {
    // The dispatcher itself failed (it catches callback errors, so this is exceptional).
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok) {
      napi_fatal_exception(env, error);
    }
  } else {
    // Callback errors are reported like FinalizationRegistry and Node-API finalizers report
    // theirs: as 'uncaughtException', after the whole batch ran.
    bool is_array = false;
    if (errors != nullptr && napi_is_array(env, errors, &is_array) == napi_ok && is_array) {
      uint32_t count = 0;
      napi_get_array_length(env, errors, &count);
      for (uint32_t i = 0; i < count; ++i) {
        napi_value error;
        if (napi_get_element(env, errors, i, &error) == napi_ok) napi_fatal_exception(env, error);
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

}  // namespace weakwire
