#include "finalizer_queue.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>

#include "env_state.h"

namespace weakwire {

FinalizerQueue::~FinalizerQueue() {
  for (Page* page = head_; page != nullptr;) {
    Page* next = page->next;
    delete page;
    page = next;
  }
  delete spare_;
}

napi_status FinalizerQueue::Start(napi_env env) {
  napi_value name;
  napi_status status =
      napi_create_string_utf8(env, "weakwire:destructors", NAPI_AUTO_LENGTH, &name);
  if (status != napi_ok) return status;
  status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr,
                                           OnWakeFinalized, this, OnWake, &wake_);
  if (status != napi_ok) return status;
  // From here the runtime calls OnWakeFinalized once, which lets go of this hold.
  owner_->Hold();
  return napi_unref_threadsafe_function(env, wake_);
}

void FinalizerQueue::Abort() {
  stopped_ = true;
  if (wake_ != nullptr) napi_release_threadsafe_function(wake_, napi_tsfn_abort);
}

napi_status FinalizerQueue::SetDispatcher(napi_env env, napi_value fn) {
  napi_ref fresh;
  napi_status status = napi_create_reference(env, fn, 1, &fresh);
  if (status != napi_ok) return status;
  if (dispatcher_ != nullptr) napi_delete_reference(env, dispatcher_);
  dispatcher_ = fresh;
  if (size_ > 0 || dropped_ > 0) Wake();
  return napi_ok;
}

void FinalizerQueue::PushToNewPage(FinalizerToken token) noexcept {
  Page* page = spare_ != nullptr ? spare_ : new (std::nothrow) Page;
  if (page == nullptr) {
    ++dropped_;
    Wake();
    return;
  }
  if (page == spare_) spare_ = nullptr;
  page->next = nullptr;
  if (tail_ == nullptr) {
    head_ = page;
    head_index_ = 0;
  } else {
    tail_->next = page;
  }
  tail_ = page;
  page->tokens[0] = token;
  tail_count_ = 1;
  ++size_;
  Wake();
}

void FinalizerQueue::PopFront(size_t count) {
  size_ -= count;
  while (count > 0) {
    size_t used = (head_ == tail_ ? tail_count_ : kPageTokens) - head_index_;
    size_t taken = std::min(count, used);
    head_index_ += taken;
    count -= taken;
    if (head_index_ == (head_ == tail_ ? tail_count_ : kPageTokens)) {
      Page* emptied = head_;
      head_ = head_->next;
      head_index_ = 0;
      if (head_ == nullptr) tail_ = nullptr;
      if (spare_ == nullptr) {
        spare_ = emptied;
      } else {
        delete emptied;
      }
    }
  }
}

// A token is laid out as the pair JavaScript reads, so each page's run of tokens is one copy.
static_assert(sizeof(FinalizerToken) == 2 * sizeof(uint32_t) &&
                  offsetof(FinalizerToken, index) == 0 &&
                  offsetof(FinalizerToken, generation) == sizeof(uint32_t),
              "a FinalizerToken must be an [index, generation] pair of uint32");

void FinalizerQueue::CopyPairs(uint32_t* out, size_t skip, size_t count) const {
  const Page* page = head_;
  size_t index = head_index_ + skip;
  while (page != nullptr && index >= kPageTokens) {
    index -= kPageTokens;
    page = page->next;
  }
  while (count > 0 && page != nullptr) {
    size_t run = std::min(count, kPageTokens - index);
    std::memcpy(out, page->tokens + index, run * sizeof(FinalizerToken));
    out += 2 * run;
    count -= run;
    index = 0;
    page = page->next;
  }
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
  // The runtime finalizes the thread-safe function during teardown (or after Abort). Nothing
  // below may run after the owner is gone, so the owner waits for this call.
  auto* self = static_cast<FinalizerQueue*>(hint);
  self->wake_ = nullptr;
  self->stopped_ = true;
  self->owner_->Release();
}

void FinalizerQueue::OnWake(napi_env env, napi_value, void* context, void*) {
  auto* self = static_cast<FinalizerQueue*>(context);
  self->wake_pending_ = false;
  // env is null when the runtime drains the call queue during teardown: nothing may run then.
  if (env == nullptr || self->stopped_) return;
  self->Drain(env);
}

void FinalizerQueue::Drain(napi_env env) {
  if (draining_ || dispatcher_ == nullptr) return;
  draining_ = true;
  if (dropped_ > 0) ReportDropped(env);
  bool ran = true;
  if (size_ > 0) ran = RunBatch(env, std::min(size_, kMaxBatch));
  draining_ = false;
  // After a failed batch the tokens stay queued for the next wake-up; waking again right away
  // could spin on a failure that lasts (an environment that can no longer run JavaScript).
  if (ran && size_ > 0) Wake();
}

bool FinalizerQueue::RunBatch(napi_env env, size_t count) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value errors = nullptr;
  bool ran = false;
  void* bytes = nullptr;
  napi_value buffer, tokens, dispatcher, receiver;
  if (napi_create_arraybuffer(env, count * 2 * sizeof(uint32_t), &bytes, &buffer) == napi_ok &&
      napi_create_typedarray(env, napi_uint32_array, count * 2, buffer, 0, &tokens) == napi_ok &&
      napi_get_reference_value(env, dispatcher_, &dispatcher) == napi_ok && dispatcher != nullptr &&
      napi_get_undefined(env, &receiver) == napi_ok) {
    CopyPairs(static_cast<uint32_t*>(bytes), 0, count);
    in_flight_ = count;
    ran = napi_call_function(env, receiver, dispatcher, 1, &tokens, &errors) == napi_ok;
    in_flight_ = 0;
  }
  if (ran) {
    PopFront(count);
    // Callback errors are reported like FinalizationRegistry and Node-API finalizers report
    // theirs: as 'uncaughtException', after the whole batch ran.
    bool is_array = false;
    if (errors != nullptr && napi_is_array(env, errors, &is_array) == napi_ok && is_array) {
      uint32_t length = 0;
      if (napi_get_array_length(env, errors, &length) != napi_ok) length = 0;
      for (uint32_t i = 0; i < length; ++i) {
        napi_value error;
        if (napi_get_element(env, errors, i, &error) == napi_ok) napi_fatal_exception(env, error);
      }
    }
  } else {
    // The batch did not run (or the dispatcher itself failed, which it does not do for callback
    // errors): its tokens stay queued. The dispatcher skips registrations it already finished,
    // so running the batch again later is safe.
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok) {
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
  return ran;
}

void FinalizerQueue::ReportDropped(napi_env env) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char message[160];
  std::snprintf(message, sizeof(message),
                "weakwire: %zu destructor callback(s) were lost: no memory was left to queue them "
                "when their targets were collected",
                dropped_);
  napi_value text, error;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) == napi_ok &&
      napi_create_error(env, nullptr, text, &error) == napi_ok &&
      napi_fatal_exception(env, error) == napi_ok) {
    dropped_ = 0;
  }
  napi_close_handle_scope(env, scope);
}

napi_status FinalizerQueue::Snapshot(napi_env env, napi_value* result) const {
  size_t count = size_ - in_flight_;
  void* bytes = nullptr;
  napi_value buffer;
  napi_status status = napi_create_arraybuffer(env, count * 2 * sizeof(uint32_t), &bytes, &buffer);
  if (status != napi_ok) return status;
  status = napi_create_typedarray(env, napi_uint32_array, count * 2, buffer, 0, result);
  if (status != napi_ok) return status;
  CopyPairs(static_cast<uint32_t*>(bytes), in_flight_, count);
  return napi_ok;
}

}  // namespace weakwire
