// A small "checkout service" simulation for the README's first command: it
// handles synthetic orders in a loop for --seconds, spending its time in a few
// named stages (parse, price, sign, render) so its profile and flame graph show
// a clear hot path. Built with frame pointers, like every program of ours.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace shop {

struct Item {
  std::string sku;
  int quantity;
  int64_t price_cents;
};

struct Order {
  std::vector<Item> items;
  std::string customer;
};

__attribute__((noinline)) Order parse_order(const std::string& text) {
  Order order;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    std::string field = text.substr(pos, end - pos);
    size_t colon = field.find(':');
    if (colon != std::string::npos) {
      order.items.push_back({field.substr(0, colon), std::atoi(field.c_str() + colon + 1), 0});
    }
    pos = end + 1;
  }
  order.customer = "customer-42";
  return order;
}

__attribute__((noinline)) int64_t lookup_price(const std::string& sku) {
  int64_t h = 1469598103934665603LL;
  for (char c : sku) h = (h ^ c) * 1099511628211LL;
  return 100 + (h & 0x3fff);
}

__attribute__((noinline)) int64_t price_order(Order& order) {
  int64_t total = 0;
  for (auto& item : order.items) {
    item.price_cents = lookup_price(item.sku);
    total += item.price_cents * item.quantity;
  }
  std::sort(order.items.begin(), order.items.end(),
            [](const Item& a, const Item& b) { return a.price_cents > b.price_cents; });
  return total;
}

// The planted hot spot: a deliberately slow signature (many rounds of mixing).
__attribute__((noinline)) uint64_t mix_round(uint64_t state, uint64_t word) {
  state ^= word + 0x9e3779b97f4a7c15ULL + (state << 6) + (state >> 2);
  return state * 0xff51afd7ed558ccdULL;
}

__attribute__((noinline)) uint64_t sign_receipt(const Order& order, int64_t total) {
  uint64_t state = static_cast<uint64_t>(total);
  for (int round = 0; round < 4000; ++round) {
    for (const auto& item : order.items) state = mix_round(state, item.sku.size() + round);
  }
  return state;
}

__attribute__((noinline)) std::string render_receipt(const Order& order, int64_t total, uint64_t sig) {
  std::string out;
  char line[128];
  for (const auto& item : order.items) {
    std::snprintf(line, sizeof line, "%s x%d @ %lld\n", item.sku.c_str(), item.quantity,
                  static_cast<long long>(item.price_cents));
    out += line;
  }
  std::snprintf(line, sizeof line, "total %lld sig %016llx\n", static_cast<long long>(total),
                static_cast<unsigned long long>(sig));
  out += line;
  return out;
}

__attribute__((noinline)) size_t handle_checkout(const std::string& request) {
  Order order = parse_order(request);
  int64_t total = price_order(order);
  uint64_t sig = sign_receipt(order, total);
  return render_receipt(order, total, sig).size();
}

}  // namespace shop

int main(int argc, char** argv) {
  double seconds = 5;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  const std::string request = "apple:3;pear:1;banana-bunch:12;kiwi:7;mango:2;grape-red:40;plum:9";
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  size_t orders = 0, bytes = 0;
  while (std::chrono::steady_clock::now() < until) {
    bytes += shop::handle_checkout(request);
    ++orders;
  }
  std::printf("handled %zu orders (%zu receipt bytes)\n", orders, bytes);
  return 0;
}
