#include "core/serial_queue.hpp"

#include "io/transport.hpp"

#include <map>

namespace ratchet::detail {

std::shared_ptr<SerialQueue> SerialQueue::of(const ComponentInterface& component) {
  static std::mutex mutex;
  static std::map<const ComponentInterface*, std::weak_ptr<SerialQueue>> queues;
  std::lock_guard lock(mutex);
  std::erase_if(queues, [](const auto& entry) { return entry.second.expired(); });
  auto& slot = queues[&component];
  auto queue = slot.lock();
  if (!queue) slot = queue = std::make_shared<SerialQueue>();
  return queue;
}

void SerialQueue::drain(Transport* transport) {
  constexpr int kBatch = 64;
  for (int i = 0; !transport || i < kBatch; ++i) {
    std::function<void()> task;
    {
      std::lock_guard lock(mutex_);
      if (tasks_.empty()) {
        running_ = false;
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
  // Still busy: continue after this thread's pending I/O, keeping running_ set.
  auto self = shared_from_this();
  auto owner = std::static_pointer_cast<Transport>(transport->shared_from_this());
  transport->post([self, owner] { self->drain(owner.get()); });
}

}  // namespace ratchet::detail
