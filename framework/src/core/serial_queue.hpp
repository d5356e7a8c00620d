#pragma once
// Runs the callbacks of one non-thread-safe component one at a time, on whichever I/O
// thread brings them (framework-internal).

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace ratchet {
class ComponentInterface;
}

namespace ratchet::detail {

class Transport;

/// A strand that needs no executor of its own. An event runs at once, on the calling
/// I/O thread and without copying its data, when the queue is idle; only when another
/// thread is inside the component is it copied (`later()`) and queued, to be run in order
/// by the thread already there. That thread hands the rest of a long queue back to its
/// event loop in batches, so no thread is starved of its own I/O.
class SerialQueue : public std::enable_shared_from_this<SerialQueue> {
 public:
  /// The queue of `component`: one per component object, shared by every server and route
  /// it is mounted on. Called at set-up, not per event.
  static std::shared_ptr<SerialQueue> of(const ComponentInterface& component);

  /// Runs `now()` at once, or queues `later()` (a task owning copies of what it needs). The
  /// rest of a long queue continues on `transport`'s I/O thread; without a transport (a
  /// test double's connection) the caller runs it all.
  template <class Now, class Later>
  void run(Transport* transport, Now&& now, Later&& later) {
    {
      std::lock_guard lock(mutex_);
      if (running_) {
        tasks_.emplace_back(later());
        return;
      }
      running_ = true;
    }
    now();
    drain(transport);
  }

 private:
  void drain(Transport* transport);

  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  bool running_ = false;  // a thread is running tasks, or a drain is posted
};

}  // namespace ratchet::detail
