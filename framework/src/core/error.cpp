#include "ratchet/error.hpp"

namespace ratchet {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "ratchet"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::callback_threw:
        return "a component callback threw";
      case errc::protocol_error:
        return "WebSocket protocol error";
      case errc::invalid_utf8:
        return "invalid UTF-8 in a text message";
      case errc::message_too_big:
        return "message too big";
      case errc::queue_overflow:
        return "outgoing queue limit exceeded";
      case errc::ping_timeout:
        return "peer stopped answering pings";
      case errc::close_timeout:
        return "close handshake not finished in time";
    }
    return "unknown ratchet error";
  }
};

}  // namespace

const boost::system::error_category& errorCategory() noexcept {
  static const Category category;
  return category;
}

}  // namespace ratchet
