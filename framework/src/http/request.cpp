#include "ratchet/request.hpp"

#include "codec/text.hpp"

namespace ratchet {

namespace detail {

std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = asciiLower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plusIsSpace) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace detail

Request::Request(std::string method, std::string target, unsigned version,
                 std::vector<Header> headers, std::string body)
    : method_(std::move(method)),
      target_(std::move(target)),
      version_(version),
      headers_(std::move(headers)),
      body_(std::move(body)) {}

std::string_view Request::path() const noexcept {
  std::string_view t = target_;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const noexcept {
  std::string_view t = target_;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<std::string> Request::queryParam(std::string_view name) const {
  std::optional<std::string> found;
  detail::forEachListItem(query(), '&', [&](std::string_view item) {
    if (found) return;
    const auto eq = item.find('=');
    const auto key = detail::percentDecode(item.substr(0, eq), true);
    if (!key || *key != name) return;
    found = eq == std::string_view::npos ? std::string{}
                                         : detail::percentDecode(item.substr(eq + 1), true);
  });
  return found;
}

std::string_view Request::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers_)
    if (detail::iequals(key, name)) return value;
  return {};
}

bool Request::hasHeader(std::string_view name) const noexcept {
  return headerCount(name) > 0;
}

std::size_t Request::headerCount(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const auto& h : headers_) n += detail::iequals(h.first, name);
  return n;
}

bool Request::headerHasToken(std::string_view name, std::string_view token) const noexcept {
  bool found = false;
  for (const auto& [key, value] : headers_) {
    if (!detail::iequals(key, name)) continue;
    detail::forEachListItem(
        value, ',', [&](std::string_view item) { found = found || detail::iequals(item, token); });
  }
  return found;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [key, value] : headers_) {
    if (!detail::iequals(key, "cookie")) continue;
    detail::forEachListItem(value, ';', [&](std::string_view item) {
      const auto eq = item.find('=');
      if (found || eq == std::string_view::npos || detail::trim(item.substr(0, eq)) != name) return;
      auto v = detail::trim(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      found = std::string(v);
    });
  }
  return found;
}

}  // namespace ratchet
