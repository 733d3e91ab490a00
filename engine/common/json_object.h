// The object type of stepflow's JSON values: members in the order they were
// inserted (as Step Functions keeps them), found by hash once an object is
// large, compared as sets of members.
//
// It plugs into nlohmann::basic_json as its ObjectType, with the interface
// nlohmann's own ordered_map has. Differences that matter here:
//  - Objects of kIndexFrom members or more carry a hash index of positions,
//    so a lookup in a 10,000-member object is O(1), not a scan. The index
//    is built and kept up to date by the mutating members only (the vector
//    is a private base), so a const lookup never writes and values can be
//    read from several threads at once.
//  - `==` ignores member order ({"a":1,"b":2} equals {"b":2,"a":1}, as JSON
//    object equality is defined), and `<=>` orders objects by their members
//    sorted by key, consistently with `==`.
// Not thread-safe for writers, like any standard container.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/detail/meta/type_traits.hpp>

namespace stepflow {

template <class Key, class T, class IgnoredLess = std::less<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class JsonObjectMap : private std::vector<std::pair<const Key, T>, Allocator> {
 public:
  using Container = std::vector<std::pair<const Key, T>, Allocator>;
  using key_type = Key;
  using mapped_type = T;
  using value_type = typename Container::value_type;
  using size_type = typename Container::size_type;
  using difference_type = typename Container::difference_type;
  using iterator = typename Container::iterator;
  using const_iterator = typename Container::const_iterator;
  using allocator_type = Allocator;
  using key_compare = std::equal_to<>;

  // Objects this large are indexed.
  static constexpr size_type kIndexFrom = 12;

  using Container::begin;
  using Container::capacity;  // nlohmann tells vector-backed maps by this
  using Container::cbegin;
  using Container::cend;
  using Container::empty;
  using Container::end;
  using Container::max_size;
  using Container::reserve;
  using Container::size;

  JsonObjectMap() noexcept = default;
  explicit JsonObjectMap(const Allocator& alloc) noexcept : Container(alloc) {}
  template <class It>
  JsonObjectMap(It first, It last, const Allocator& alloc = Allocator()) : Container(alloc) {
    for (; first != last; ++first) insert(*first);
  }
  JsonObjectMap(std::initializer_list<value_type> init, const Allocator& alloc = Allocator())
      : JsonObjectMap(init.begin(), init.end(), alloc) {}

  JsonObjectMap(const JsonObjectMap& other)
      : Container(other), index_(other.index_ ? std::make_unique<Index>(*other.index_) : nullptr) {}
  JsonObjectMap(JsonObjectMap&& other) noexcept = default;
  JsonObjectMap& operator=(const JsonObjectMap& other) {
    if (this != &other) {
      // pair<const Key, T> is not assignable: rebuild.
      Container::clear();
      Container::reserve(other.size());
      for (const value_type& v : other) Container::emplace_back(v);
      index_ = other.index_ ? std::make_unique<Index>(*other.index_) : nullptr;
    }
    return *this;
  }
  JsonObjectMap& operator=(JsonObjectMap&& other) noexcept {
    Container::swap(other);
    index_.swap(other.index_);
    return *this;
  }
  ~JsonObjectMap() = default;

  // --- lookup ---------------------------------------------------------------

  iterator find(std::string_view key) { return begin() + Position(key); }
  const_iterator find(std::string_view key) const { return begin() + Position(key); }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  iterator find(KeyType&& key) {
    return find(std::string_view(key));
  }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  const_iterator find(KeyType&& key) const {
    return find(std::string_view(key));
  }

  size_type count(std::string_view key) const { return Position(key) != size() ? 1 : 0; }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  size_type count(KeyType&& key) const {
    return count(std::string_view(key));
  }

  T& at(std::string_view key) {
    size_type i = Position(key);
    if (i == size()) throw std::out_of_range("key not found");
    return (*this)[i].second;
  }
  const T& at(std::string_view key) const {
    size_type i = Position(key);
    if (i == size()) throw std::out_of_range("key not found");
    return (*this)[i].second;
  }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  T& at(KeyType&& key) {
    return at(std::string_view(key));
  }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  const T& at(KeyType&& key) const {
    return at(std::string_view(key));
  }

  // --- insertion (a new key goes to the end; an existing one stays put) -----

  template <class KeyType>
  std::pair<iterator, bool> emplace(KeyType&& key, T&& t) {
    size_type i = Position(std::string_view(key));
    if (i != size()) return {begin() + i, false};
    Container::emplace_back(std::forward<KeyType>(key), std::move(t));
    Added();
    return {std::prev(end()), true};
  }
  template <class KeyType>
  std::pair<iterator, bool> emplace(KeyType&& key, const T& t) {
    return emplace(std::forward<KeyType>(key), T(t));
  }
  T& operator[](const key_type& key) { return emplace(key, T{}).first->second; }
  T& operator[](key_type&& key) { return emplace(std::move(key), T{}).first->second; }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  T& operator[](KeyType&& key) {
    return emplace(std::forward<KeyType>(key), T{}).first->second;
  }
  const T& operator[](std::string_view key) const { return at(key); }

  template <class KeyType>
  std::pair<iterator, bool> insert_or_assign(KeyType&& key, T&& t) {
    auto r = emplace(std::forward<KeyType>(key), std::move(t));
    if (!r.second) r.first->second = std::move(t);
    return r;
  }
  std::pair<iterator, bool> insert(value_type&& value) {
    return emplace(value.first, std::move(value.second));
  }
  std::pair<iterator, bool> insert(const value_type& value) {
    return emplace(value.first, T(value.second));
  }
  template <typename InputIt>
  void insert(InputIt first, InputIt last) {
    for (; first != last; ++first) insert(*first);
  }

  // --- removal (later members move up one place) -----------------------------

  size_type erase(std::string_view key) {
    size_type i = Position(key);
    if (i == size()) return 0;
    erase(begin() + i);
    return 1;
  }
  template <class KeyType, std::enable_if_t<nlohmann::detail::is_usable_as_key_type<
                                                key_compare, key_type, KeyType>::value,
                                            int> = 0>
  size_type erase(KeyType&& key) {
    return erase(std::string_view(key));
  }
  iterator erase(iterator pos) { return erase(pos, std::next(pos)); }
  iterator erase(iterator first, iterator last) {
    if (first == last) return first;
    const auto removed = std::distance(first, last);
    const auto offset = std::distance(begin(), first);
    // pair<const Key, T> cannot be move-assigned: destroy and rebuild in place.
    for (auto it = first; std::next(it, removed) != end(); ++it) {
      it->~value_type();
      new (&*it) value_type{std::move(*std::next(it, removed))};
    }
    Container::resize(size() - static_cast<size_type>(removed));
    Reindex();
    return begin() + offset;
  }
  void clear() noexcept {
    Container::clear();
    index_.reset();
  }

  // --- comparison ------------------------------------------------------------

  // Equal when both have the same keys with equal values, in any order.
  friend bool operator==(const JsonObjectMap& a, const JsonObjectMap& b) {
    if (a.size() != b.size()) return false;
    for (const value_type& m : a) {
      size_type i = b.Position(m.first);
      if (i == b.size() || !(m.second == b.Container::operator[](i).second)) return false;
    }
    return true;
  }
  // Members compared in key order: the order of the canonical dump.
  friend std::partial_ordering operator<=>(const JsonObjectMap& a, const JsonObjectMap& b) {
    std::vector<const value_type*> x = a.Sorted(), y = b.Sorted();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (auto c = x[i]->first <=> y[i]->first; c != 0) return c;
      if (x[i]->second < y[i]->second) return std::partial_ordering::less;
      if (y[i]->second < x[i]->second) return std::partial_ordering::greater;
    }
    return x.size() <=> y.size();
  }
  friend bool operator<(const JsonObjectMap& a, const JsonObjectMap& b) { return (a <=> b) < 0; }

  // The members sorted by key (for canonical output and ordering).
  std::vector<const value_type*> Sorted() const {
    std::vector<const value_type*> out;
    out.reserve(size());
    for (const value_type& m : *this) out.push_back(&m);
    std::sort(out.begin(), out.end(),
              [](const value_type* l, const value_type* r) { return l->first < r->first; });
    return out;
  }

 private:
  // Open addressing over positions: slot = position + 1, 0 = empty.
  struct Index {
    std::vector<uint32_t> slots;
    size_t mask = 0;
  };

  static size_t HashKey(std::string_view key) { return std::hash<std::string_view>{}(key); }

  // The position of `key`, or size() when absent.
  size_type Position(std::string_view key) const {
    const Container& v = *this;
    if (index_) {
      for (size_t s = HashKey(key) & index_->mask;; s = (s + 1) & index_->mask) {
        uint32_t p = index_->slots[s];
        if (p == 0) return size();
        if (v[p - 1].first == key) return p - 1;
      }
    }
    for (size_type i = 0; i < v.size(); ++i) {
      if (v[i].first == key) return i;
    }
    return size();
  }

  void Place(size_type position) {
    const Container& v = *this;
    size_t s = HashKey(v[position].first) & index_->mask;
    while (index_->slots[s] != 0) s = (s + 1) & index_->mask;
    index_->slots[s] = static_cast<uint32_t>(position + 1);
  }

  // After an append: index the new member, or build the index when the
  // object just reached kIndexFrom members or the table is half full.
  void Added() {
    if (size() < kIndexFrom) return;
    if (index_ && size() * 2 <= index_->slots.size()) {
      Place(size() - 1);
      return;
    }
    Reindex();
  }

  void Reindex() {
    if (size() < kIndexFrom) {
      index_.reset();
      return;
    }
    size_t capacity = 32;
    while (capacity < size() * 4) capacity *= 2;
    if (!index_) index_ = std::make_unique<Index>();
    index_->slots.assign(capacity, 0);
    index_->mask = capacity - 1;
    for (size_type i = 0; i < size(); ++i) Place(i);
  }

  std::unique_ptr<Index> index_;
};

}  // namespace stepflow
