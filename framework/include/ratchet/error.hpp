#pragma once
// Error values handed to onError, and the WebSocket close codes of RFC 6455 section 7.4.

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

namespace ratchet {

/// Why a connection failed. Values of ratchet's own error category.
enum class errc {
  callback_threw = 1,  ///< a component callback threw; Error::exception() holds it
  protocol_error,      ///< the peer broke RFC 6455 (closed with 1002)
  invalid_utf8,        ///< text that is not UTF-8 (closed with 1007)
  message_too_big,     ///< a message or frame over the configured limit (closed with 1009)
  queue_overflow,      ///< the outgoing queue passed its limit (closed with 1008)
  ping_timeout,        ///< the peer stopped answering keep-alive pings
  close_timeout,       ///< the peer did not finish the close handshake in time
};

const boost::system::error_category& errorCategory() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), errorCategory()};
}

/// What onError receives: a code (ratchet's or the system's) and a readable message.
class Error : public std::runtime_error {
 public:
  Error(boost::system::error_code code, const std::string& message,
        std::exception_ptr exception = nullptr)
      : std::runtime_error(message), code_(code), exception_(std::move(exception)) {}
  explicit Error(errc e) : Error(make_error_code(e), make_error_code(e).message()) {}

  const boost::system::error_code& code() const noexcept { return code_; }
  /// The exception a callback threw, when code() is errc::callback_threw.
  const std::exception_ptr& exception() const noexcept { return exception_; }

 private:
  boost::system::error_code code_;
  std::exception_ptr exception_;
};

/// WebSocket close status codes (RFC 6455 section 7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  ///< never sent; reported when a close had none
inline constexpr std::uint16_t abnormal = 1006;   ///< never sent; the TCP connection just ended
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t mandatory_extension = 1010;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

}  // namespace ratchet

template <>
struct boost::system::is_error_code_enum<ratchet::errc> : std::true_type {};
