#pragma once
// What sections 12 and 13 share: Autobahn's 18 rows of message size and fragmentation, the
// payloads (generated here, deterministically), a server with permessage-deflate, and the
// echo case Autobahn runs for every row.

#include "conformance.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace conf {

// ---- payloads ------------------------------------------------------------------------------

/// A pseudo-random sequence (PCG's LCG step): the same payloads on every run.
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : state_(seed * 2 + 1) {}
  std::uint32_t next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(state_ >> 33);
  }
  std::size_t below(std::size_t n) { return next() % n; }
  template <typename T, std::size_t N>
  const T& pick(const T (&choices)[N]) {
    return choices[below(N)];
  }

 private:
  std::uint64_t state_;
};

/// The data a case's messages are cut from, and whether they go as binary.
struct Corpus {
  std::string data;
  bool binary = false;
};

inline constexpr std::size_t kCorpusBytes = 1 << 20;

/// JSON: an array of user records, as an API would send them.
inline Corpus jsonCorpus() {
  static constexpr std::string_view first[] = {"Ada",     "Alan",   "Grace",   "Linus",
                                               "Barbara", "Dennis", "Ken",     "Margaret",
                                               "Edsger",  "Donald", "Frances", "John"};
  static constexpr std::string_view last[] = {"Lovelace", "Turing",  "Hopper",   "Torvalds",
                                              "Liskov",   "Ritchie", "Thompson", "Hamilton",
                                              "Dijkstra", "Knuth",   "Allen",    "Backus"};
  static constexpr std::string_view cities[] = {"Berlin", "Lisbon",  "Nairobi", "Osaka",
                                                "Quito",  "Tallinn", "Toronto", "Wellington"};
  static constexpr std::string_view tags[] = {"admin", "beta",    "editor",  "guest",
                                              "ops",   "premium", "support", "trial"};
  Lcg r(1);
  std::string s = "[\n";
  for (std::size_t id = 1; s.size() < kCorpusBytes; ++id) {
    const auto& f = r.pick(first);
    const auto& l = r.pick(last);
    const auto cents = r.below(10'000'000);
    s += "  {\"id\": " + std::to_string(id) + ", \"name\": \"" + std::string(f) + " " +
         std::string(l) + "\", \"email\": \"" + std::string(f) + "." + std::string(l) +
         std::to_string(id % 97) + "@example.org\", \"age\": " + std::to_string(18 + r.below(70)) +
         ", \"active\": " + (r.below(3) ? "true" : "false") +
         ", \"balance\": " + std::to_string(cents / 100) + "." + std::to_string(10 + cents % 90) +
         ", \"city\": \"" + std::string(r.pick(cities)) + "\", \"tags\": [\"" +
         std::string(r.pick(tags)) + "\", \"" + std::string(r.pick(tags)) +
         "\"], \"last_login\": \"2024-" + std::to_string(10 + r.below(3)) + "-" +
         std::to_string(10 + r.below(19)) + "T" + std::to_string(10 + r.below(14)) + ":" +
         std::to_string(10 + r.below(50)) + ":00Z\"},\n";
  }
  s += "  {}\n]\n";
  return {std::move(s), false};
}

/// The classic lorem ipsum paragraph alone: the messages cycle through its 446 bytes.
inline Corpus loremCorpus() {
  return {
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
      "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
      "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
      "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla "
      "pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia "
      "deserunt mollit anim id est laborum. ",
      false};
}

/// English prose: sentences of common words in paragraphs.
inline Corpus proseCorpus() {
  static constexpr std::string_view determiners[] = {"the", "a", "every", "that", "one", "our"};
  static constexpr std::string_view adjectives[] = {
      "quiet", "old",   "bright", "narrow", "patient", "restless", "distant",
      "small", "heavy", "silver", "gentle", "broken",  "curious",  "early"};
  static constexpr std::string_view nouns[] = {
      "river",   "harbour", "lantern", "morning", "traveller", "garden", "letter",
      "machine", "village", "window",  "engine",  "captain",   "market", "bridge",
      "library", "winter",  "orchard", "signal",  "clock",     "island"};
  static constexpr std::string_view verbs[] = {"waited for", "crossed",  "remembered", "carried",
                                               "watched",    "followed", "opened",     "described",
                                               "repaired",   "found",    "passed",     "reached"};
  static constexpr std::string_view links[] = {"and then", "while", "because",
                                               "although", "until", "so that"};
  Lcg r(3);
  std::string s;
  const auto phrase = [&] {
    return std::string(r.pick(determiners)) + " " + std::string(r.pick(adjectives)) + " " +
           std::string(r.pick(nouns));
  };
  for (std::size_t sentence = 1; s.size() < kCorpusBytes; ++sentence) {
    std::string line = phrase() + " " + std::string(r.pick(verbs)) + " " + phrase();
    if (r.below(2))
      line += ", " + std::string(r.pick(links)) + " " + phrase() + " " +
              std::string(r.pick(verbs)) + " " + phrase();
    line[0] = static_cast<char>(line[0] - 'a' + 'A');
    s += line + (r.below(6) ? ". " : "? ");
    if (sentence % 7 == 0) s += "\n\n";
  }
  return {std::move(s), false};
}

/// Binary structured data: a table of 32-byte little-endian records (id, kind, flags, a
/// measurement as an IEEE double, an 8-byte name, a timestamp), as a binary protocol sends.
inline Corpus recordCorpus() {
  std::string s;
  s.reserve(kCorpusBytes);
  Lcg r(4);
  const auto put = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  };
  for (std::uint32_t id = 1; s.size() < kCorpusBytes; ++id) {
    put(id, 4);
    put(id % 7, 2);
    put(r.below(4) << 4 | 0x1, 2);
    const double value = 20.0 + static_cast<double>(r.below(2000)) / 100.0;
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put(bits, 8);
    char name[9];
    std::snprintf(name, sizeof name, "dev%05u", static_cast<unsigned>(id % 100'000));
    s.append(name, 8);
    put(1'700'000'000'000ull + id * 1000ull + r.below(1000), 8);
  }
  s.resize(kCorpusBytes);
  return {std::move(s), true};
}

/// HTML in many scripts: markup around lines of German, Greek, Russian, French, Japanese and
/// emoji, so that messages inflate to 1- to 4-byte UTF-8 sequences.
inline Corpus htmlCorpus() {
  static constexpr std::string_view lines[] = {
      "Über den Hügeln glüht der Abend, und die Bäche rauschen leise.",
      "Grüße aus München: Straße, Größe, Maß und Fuß.",
      "Καλημέρα κόσμε, ο ήλιος λάμπει πάνω από τη θάλασσα.",
      "Тихо падает снег на старый город, и фонари горят.",
      "Où est la forêt ? Là-bas, près du château, l’été dernier.",
      "静かな夜に星が光る。川の音が聞こえる。",
      "Sterne ✨ und Monde 🌙 über dem Meer 🌊 — und ein Schiff ⛵.",
      "Ein Wort, ein Satz: aus Chaos wird Gedicht; „Anführungszeichen“ inklusive."};
  static constexpr std::string_view langs[] = {"de", "de", "el", "ru", "fr", "ja", "de", "de"};
  Lcg r(5);
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"mul\">\n<head><meta charset=\"utf-8\">"
      "<title>Strophen</title></head>\n<body>\n";
  for (std::size_t n = 1; s.size() < kCorpusBytes; ++n) {
    s += "<section id=\"s" + std::to_string(n) + "\" class=\"verse\">\n  <h2>Strophe " +
         std::to_string(n) + "</h2>\n";
    for (std::size_t i = 0, count = 2 + r.below(4); i < count; ++i) {
      const auto k = r.below(std::size(lines));
      s += "  <p lang=\"" + std::string(langs[k]) + "\">" + std::string(lines[k]) + "</p>\n";
    }
    s += "</section>\n";
  }
  s += "</body>\n</html>\n";
  return {std::move(s), false};
}

/// Consecutive messages of a corpus, wrapping around at its end, as Autobahn cuts its test
/// files. Text is cut at character boundaries: a message that would end inside a UTF-8
/// sequence ends in spaces instead, so that every message is exactly `n` bytes of valid UTF-8.
class Messages {
 public:
  explicit Messages(const Corpus& corpus) : corpus_(corpus) {}
  std::string next(std::size_t n) {
    const std::string& d = corpus_.data;
    std::string out;
    out.reserve(n);
    while (out.size() < n) {
      const std::size_t take = std::min(n - out.size(), d.size() - pos_);
      out.append(d, pos_, take);
      pos_ = (pos_ + take) % d.size();
    }
    if (corpus_.binary) return out;
    const auto continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
    std::size_t lead = n;
    while (lead > 0 && continuation(out[lead - 1])) --lead;
    if (lead > 0) {
      const auto c = static_cast<unsigned char>(out[lead - 1]);
      const std::size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (lead - 1 + length > n) std::fill(out.begin() + (lead - 1), out.end(), ' ');
    }
    while (continuation(d[pos_])) pos_ = (pos_ + 1) % d.size();
    return out;
  }

 private:
  const Corpus& corpus_;
  std::size_t pos_ = 0;
};

// ---- the cases -----------------------------------------------------------------------------

// Autobahn's rows (case12_x_x.py, MSG_SIZES) as X(row, message size, the client's
// auto-fragment size (0: none), what the row sends, ...): every row of sections 12 and 13.
#define CONF_DEFLATE_ROWS(X, ...)                                \
  X(1, 16, 0, "16 B", __VA_ARGS__)                               \
  X(2, 64, 0, "64 B", __VA_ARGS__)                               \
  X(3, 256, 0, "256 B", __VA_ARGS__)                             \
  X(4, 1024, 0, "1 KiB", __VA_ARGS__)                            \
  X(5, 4096, 0, "4 KiB", __VA_ARGS__)                            \
  X(6, 8192, 0, "8 KiB", __VA_ARGS__)                            \
  X(7, 16384, 0, "16 KiB", __VA_ARGS__)                          \
  X(8, 32768, 0, "32 KiB", __VA_ARGS__)                          \
  X(9, 65536, 0, "64 KiB", __VA_ARGS__)                          \
  X(10, 131072, 0, "128 KiB", __VA_ARGS__)                       \
  X(11, 8192, 256, "8 KiB in 256 B fragments", __VA_ARGS__)      \
  X(12, 16384, 256, "16 KiB in 256 B fragments", __VA_ARGS__)    \
  X(13, 32768, 256, "32 KiB in 256 B fragments", __VA_ARGS__)    \
  X(14, 65536, 256, "64 KiB in 256 B fragments", __VA_ARGS__)    \
  X(15, 131072, 256, "128 KiB in 256 B fragments", __VA_ARGS__)  \
  X(16, 131072, 1024, "128 KiB in 1 KiB fragments", __VA_ARGS__) \
  X(17, 131072, 4096, "128 KiB in 4 KiB fragments", __VA_ARGS__) \
  X(18, 131072, 32768, "128 KiB in 32 KiB fragments", __VA_ARGS__)

/// A row: message size and the client's auto-fragment size (0: none).
struct Row {
  std::size_t size;
  std::size_t fragment;
};
#define CONF_DEFLATE_ROW(row, size, fragment, ...) Row{size, fragment},
/// The 18 rows, for loops.
inline constexpr Row kRows[] = {CONF_DEFLATE_ROWS(CONF_DEFLATE_ROW, 0)};
#undef CONF_DEFLATE_ROW

/// The server's settings unless a case says otherwise: ratchet::Compression's defaults, but
/// clients free to keep their compression context (clientNoContextTakeover off), so that the
/// server must follow a client's context from message to message, and the responses are
/// exactly what each offer asks for. (The default, asking every client not to, has cases of
/// its own in section 13.)
inline ratchet::Compression clientsKeepContext() {
  ratchet::Compression c;
  c.clientNoContextTakeover = false;
  return c;
}

/// Options for a server that offers permessage-deflate with `compression`.
inline ratchet::AppOptions deflateOptions(ratchet::Compression compression = clientsKeepContext()) {
  auto options = test::testOptions();
  options.ws.compression = compression;
  return options;
}

/// What a case offers and the answer it requires: the Sec-WebSocket-Extensions it sends, the
/// exact value of the one in the response (nullopt: none, the offers declined), and which
/// offer that accepts (from 0).
struct Negotiation {
  std::string offer;
  std::optional<std::string> response;
  std::size_t accepted = 0;
};

/// One case of sections 12 and 13, as Autobahn runs it: a new connection negotiates as
/// `negotiation` requires, then sends `count` messages of `size` bytes cut from
/// `corpus` one after the other, each compressed as agreed (or not at all when the offer was
/// declined) in frames of `fragment` payload bytes (0: one frame), and awaits each echo before
/// the next: intact byte for byte once inflated (within the server's agreed window, on its own
/// unless the server keeps its context), and compressed exactly when it is at least minSize
/// (server.minSize) bytes. Then a clean close. Prints the time it took as a [bench] line.
inline bool runDeflateCase(const std::string& id, const Corpus& corpus,
                           const Negotiation& negotiation, std::size_t size, std::size_t fragment,
                           const ratchet::Compression& server = clientsKeepContext(),
                           std::size_t count = deflateMessages) {
  EchoApp app(deflateOptions(server));
  Peer peer(app.port(), "/echo", offering(negotiation.offer));
  INFO("offer: " << negotiation.offer);
  INFO("response: " << peer.extensionsResponse().value_or("(none)"));
  CHECK(peer.extensionsResponse() == negotiation.response);
  if (negotiation.response) {
    REQUIRE(peer.deflate());
    CHECK(peer.deflate()->offer == negotiation.accepted);
  } else {
    REQUIRE_FALSE(peer.deflate());
  }
  const bool compressed = peer.deflate() && size >= server.minSize;
  const auto opcode = corpus.binary ? op::binary : op::text;
  Messages messages(corpus);
  const auto start = Clock::now();
  bool ok = true;
  std::size_t i = 0;
  for (; ok && i < count; ++i) {
    INFO("message " << i + 1 << " of " << count);
    const auto payload = messages.next(size);
    ok = peer.sendMessage(opcode, payload, fragment);
    CHECK_MESSAGE(ok, peer.status());
    ok = ok && expectMessage(peer, opcode, payload, compressed);
  }
  bench(id + " " + std::to_string(i) + " messages of " + std::to_string(size) + " B" +
            (fragment ? " in " + std::to_string(fragment) + " B fragments" : ""),
        i * size, Clock::now() - start);
  return ok && closeCleanly(peer);
}

}  // namespace conf
