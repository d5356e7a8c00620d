#pragma once
// StaticFiles: serves the files of a directory over plain HTTP.

#include "ratchet/component.hpp"

#include <cstddef>
#include <filesystem>
#include <string>

namespace ratchet {

/// Serves files under `root` for GET and HEAD (other methods on a file get 405):
///
///     app.route("/*", std::make_shared<ratchet::StaticFiles>("web"));
///
/// A request path maps to a file under root after percent-decoding; a directory serves its
/// `index` file ("/" → index.html), and a directory asked for without its trailing slash is
/// redirected (301) to it. A path with a ".." segment, a file outside root (through a
/// symlink too), or anything that is not a readable regular file gets 404. Responses carry a
/// Content-Type from the extension, an ETag and Last-Modified, and revalidation requests
/// (If-None-Match, If-Modified-Since) get 304. Connections are kept alive.
///
/// Files are read whole on the I/O thread, so it suits pages and their assets, not large
/// downloads. Stateless and thread-safe; owned by the route it is mounted on.
class StaticFiles : public HttpServerInterface {
 public:
  struct Options {
    /// The part of the URL path before the file's path, for a route such as "/static/*".
    std::string urlPrefix;
    /// Served for a directory.
    std::string index = "index.html";
    /// Sent with every file; "no-cache" makes browsers revalidate (cheap, with 304).
    std::string cacheControl = "no-cache";
    /// Larger files get 500 and a warning: they are not what this component is for.
    std::size_t maxFileBytes = 64 * 1024 * 1024;
  };

  /// Throws std::invalid_argument when `root` is not a directory.
  explicit StaticFiles(const std::filesystem::path& root);
  StaticFiles(const std::filesystem::path& root, Options options);

  void onOpen(ConnectionPtr conn, std::shared_ptr<const Request> request) override;
  bool isThreadSafe() const noexcept override { return true; }

  /// The Content-Type served for a file name, e.g. "text/css; charset=utf-8".
  static std::string_view contentType(std::string_view fileName) noexcept;

 private:
  std::filesystem::path root_;  // canonical
  Options options_;
};

}  // namespace ratchet
