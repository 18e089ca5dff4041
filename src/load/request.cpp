// URL parsing and request formatting, done once per run.
#include "loadprof/load/request.h"

#include <cctype>

#include "loadprof/util/units.h"

namespace loadprof::load {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}
}  // namespace

Result<Url> parse_url(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::usage, "bad URL '" + std::string(text) + "': " + why);
  };
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad("needs http://");
  std::string scheme(text.substr(0, scheme_end));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "https") return make_error(ErrorKind::not_available, "https:// (TLS) URLs");
  if (scheme != "http") return bad("unsupported scheme '" + scheme + "' (use http://)");
  std::string_view rest = text.substr(scheme_end + 3);
  size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
  if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");
  Url url;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 literal");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      url.host = std::string(authority.substr(0, colon));
      port_text = authority.substr(colon + 1);
    } else {
      url.host = std::string(authority);
    }
  }
  if (url.host.empty()) return bad("missing host");
  for (char c : url.host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\') return bad("bad character in host");
  if (port_text.data() != nullptr && authority.find(':') != std::string_view::npos) {
    auto port = parse_uint(port_text);
    if (!port || *port == 0 || *port > 65535) return bad("bad port '" + std::string(port_text) + "'");
    url.port = static_cast<uint16_t>(*port);
  }
  for (char c : path)
    if (static_cast<unsigned char>(c) <= 32 || c == 127) return bad("space or control character in path");
  url.target = path.empty() ? "/" : (path.front() == '?' ? "/" + std::string(path) : std::string(path));
  url.host_header = std::string(authority);
  return url;
}

Result<std::pair<std::string, std::string>> parse_header(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return make_error(ErrorKind::usage, "bad header '" + std::string(text) + "': expected 'Name: value'");
  std::string name(text.substr(0, colon));
  for (char c : name)
    if (static_cast<unsigned char>(c) <= 32 || c == 127 || c == ':')
      return make_error(ErrorKind::usage, "bad header '" + std::string(text) + "': bad character in name");
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  for (char c : value)
    if (c == '\r' || c == '\n')
      return make_error(ErrorKind::usage, "bad header '" + std::string(text) + "': line break in value");
  return std::make_pair(name, std::string(value));
}

std::string format_request(const Url& url, const RequestSpec& spec) {
  std::string r = spec.method + " " + url.target + " HTTP/1.1\r\n";
  bool has_host = false, has_length = false, has_connection = false;
  for (const auto& [n, v] : spec.headers) {
    has_host |= iequals(n, "host");
    has_length |= iequals(n, "content-length");
    has_connection |= iequals(n, "connection");
  }
  if (!has_host) r += "Host: " + url.host_header + "\r\n";
  for (const auto& [n, v] : spec.headers) r += n + ": " + v + "\r\n";
  if (!has_length && (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH"))
    r += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  if (!spec.keep_alive && !has_connection) r += "Connection: close\r\n";
  r += "\r\n";
  r += spec.body;
  return r;
}

}  // namespace loadprof::load
