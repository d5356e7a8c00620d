#include "ratchet/static_files.hpp"

#include "ratchet/http_response.hpp"
#include "ratchet/log.hpp"

#include "codec/text.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <array>
#include <ctime>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ratchet {

namespace fs = std::filesystem;

namespace {

struct FileInfo {
  fs::path path;
  std::uint64_t size = 0;
  timespec modified{};
};

// RFC 9110 5.6.7 IMF-fixdate, e.g. "Sun, 22 Nov 2026 10:15:00 GMT".
std::string httpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::time_t> parseHttpDate(std::string_view s) {
  std::tm tm{};
  const std::string text(detail::trim(s));
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

// A strong validator from size and modification time: it changes whenever the file does.
std::string etagOf(const FileInfo& f) {
  return fmt::format("\"{:x}-{:x}{:08x}\"", f.size, f.modified.tv_sec,
                     static_cast<std::uint32_t>(f.modified.tv_nsec));
}

// RFC 9110 13.1.2: If-None-Match lists entity tags (or is "*"); weak comparison.
bool etagMatches(std::string_view header, std::string_view etag) {
  bool match = false;
  detail::forEachListItem(header, ',', [&](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) match = true;
  });
  return match;
}

// The file a decoded URL path names, lexically: ".." segments refused, "." and empty skipped.
std::optional<fs::path> relativePath(std::string_view urlPath) {
  fs::path rel;
  while (!urlPath.empty()) {
    const auto slash = urlPath.find('/');
    const auto segment = urlPath.substr(0, slash);
    if (segment == "..") return std::nullopt;
    if (!segment.empty() && segment != ".") rel /= fs::path(segment);
    if (slash == std::string_view::npos) break;
    urlPath.remove_prefix(slash + 1);
  }
  return rel;
}

HttpResponse notFound() {
  return HttpResponse::text("Not found\n", 404);
}

}  // namespace

StaticFiles::StaticFiles(const fs::path& root) : StaticFiles(root, Options{}) {}

StaticFiles::StaticFiles(const fs::path& root, Options options) : options_(std::move(options)) {
  std::error_code ec;
  root_ = fs::canonical(root, ec);
  if (ec || !fs::is_directory(root_))
    throw std::invalid_argument("StaticFiles: not a directory: " + root.string());
}

std::string_view StaticFiles::contentType(std::string_view fileName) noexcept {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
  };
  const auto dot = fileName.rfind('.');
  if (dot != std::string_view::npos) {
    const auto ext = fileName.substr(dot);
    for (const auto& [suffix, type] : types)
      if (detail::iequals(ext, suffix)) return type;
  }
  return "application/octet-stream";
}

void StaticFiles::onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) {
  const auto& req = *request;
  auto answer = [&](const HttpResponse& r) { respond(conn, req, r); };
  auto urlPath = req.path();
  if (!urlPath.starts_with(options_.urlPrefix)) return answer(notFound());
  urlPath.remove_prefix(options_.urlPrefix.size());
  const auto decoded = detail::percentDecode(urlPath, false);
  if (!decoded || decoded->find('\0') != std::string::npos)
    return answer(HttpResponse::text("Bad request: malformed path\n", 400));
  const auto rel = relativePath(*decoded);
  if (!rel) return answer(notFound());

  // Symlinks are followed, and the result must still lie under root.
  std::error_code ec;
  auto path = fs::canonical(root_ / *rel, ec);
  if (ec) return answer(notFound());
  const auto [inRoot, _] = std::mismatch(root_.begin(), root_.end(), path.begin(), path.end());
  if (inRoot != root_.end()) {
    log::debug("conn {}: {} resolves outside the document root", conn->id(), req.path());
    return answer(notFound());
  }
  // Only for what exists: a path no file answers to is 404 whatever the method.
  if (req.method() != "GET" && req.method() != "HEAD")
    return answer(HttpResponse::text("Method not allowed\n", 405).header("Allow", "GET, HEAD"));
  if (fs::is_directory(path, ec)) {
    if (!decoded->ends_with('/')) {
      const auto query = req.query();
      const auto location = fmt::format("{}/{}{}", req.path(), query.empty() ? "" : "?", query);
      return answer(HttpResponse::text("Moved permanently\n", 301).header("Location", location));
    }
    path /= options_.index;
  }

  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return answer(notFound());
  const FileInfo file{path, static_cast<std::uint64_t>(st.st_size), st.st_mtim};
  if (file.size > options_.maxFileBytes) {
    log::warn("StaticFiles: {} is {} bytes, over maxFileBytes", path.string(), file.size);
    return answer(HttpResponse::text("File too large to serve\n", 500));
  }

  HttpResponse response;
  const auto etag = etagOf(file);
  response.header("ETag", etag)
      .header("Last-Modified", httpDate(file.modified.tv_sec))
      .header("Cache-Control", options_.cacheControl);
  // RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since.
  bool fresh = false;
  if (req.hasHeader("if-none-match")) {
    fresh = etagMatches(req.header("if-none-match"), etag);
  } else if (req.hasHeader("if-modified-since")) {
    const auto since = parseHttpDate(req.header("if-modified-since"));
    fresh = since && file.modified.tv_sec <= *since;
  }
  if (fresh) {
    response.status = 304;
    return answer(response);
  }

  std::ifstream in(path, std::ios::binary);
  response.body.resize(file.size);
  if (!in.read(response.body.data(), static_cast<std::streamsize>(file.size)))
    return answer(notFound());  // it vanished or shrank since stat()
  response.header("Content-Type", std::string(contentType(path.filename().native())))
      .header("X-Content-Type-Options", "nosniff");
  answer(response);
}

}  // namespace ratchet
