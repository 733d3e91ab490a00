#include "engine/triggers/timezone.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace stepflow::triggers {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

Status Bad(const std::string& zone, const std::string& why) {
  return Status::InvalidArgument("time zone '" + zone + "': " + why);
}

// ---- POSIX TZ strings (the TZif footer) ----

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  std::optional<TimeZone::PosixTz> Parse() {
    TimeZone::PosixTz tz;
    if (!Name()) return std::nullopt;
    int64_t std_west;
    if (!Offset(24, &std_west)) return std::nullopt;
    tz.std_offset = -std_west;
    if (AtEnd()) return tz;
    tz.has_dst = true;
    if (!Name()) return std::nullopt;
    tz.dst_offset = tz.std_offset + 3600;
    if (!AtEnd() && Peek() != ',') {
      int64_t dst_west;
      if (!Offset(24, &dst_west)) return std::nullopt;
      tz.dst_offset = -dst_west;
    }
    if (AtEnd()) {  // no rule given: POSIX leaves it to the implementation; use the US rule
      tz.start = {TimeZone::Rule::Kind::kMonthWeekDay, 0, 2, 3, 7200};
      tz.end = {TimeZone::Rule::Kind::kMonthWeekDay, 0, 1, 11, 7200};
      return tz;
    }
    if (!Eat(',') || !RuleDate(&tz.start) || !Eat(',') || !RuleDate(&tz.end) || !AtEnd()) {
      return std::nullopt;
    }
    return tz;
  }

 private:
  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  bool Name() {
    if (Eat('<')) {
      size_t close = s_.find('>', i_);
      if (close == std::string_view::npos || close - i_ < 3) return false;
      i_ = close + 1;
      return true;
    }
    size_t begin = i_;
    while (!AtEnd() && ((Peek() >= 'A' && Peek() <= 'Z') || (Peek() >= 'a' && Peek() <= 'z'))) ++i_;
    return i_ - begin >= 3;
  }
  bool Number(int64_t max, int64_t* out) {
    size_t begin = i_;
    int64_t v = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9' && i_ - begin < 4) v = v * 10 + (s_[i_++] - '0');
    if (i_ == begin || v > max) return false;
    *out = v;
    return true;
  }
  // [+-]hh[:mm[:ss]] in seconds, hours up to max_hours.
  bool Offset(int64_t max_hours, int64_t* out) {
    int64_t sign = 1;
    if (Eat('-')) {
      sign = -1;
    } else {
      Eat('+');
    }
    int64_t h = 0, m = 0, s = 0;
    if (!Number(max_hours, &h)) return false;
    if (Eat(':')) {
      if (!Number(59, &m)) return false;
      if (Eat(':') && !Number(59, &s)) return false;
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
  }
  bool RuleDate(TimeZone::Rule* r) {
    int64_t a = 0, b = 0, c = 0;
    if (Eat('J')) {
      if (!Number(365, &a) || a < 1) return false;
      r->kind = TimeZone::Rule::Kind::kJulian1;
      r->day = static_cast<int>(a);
    } else if (Eat('M')) {
      if (!Number(12, &a) || a < 1 || !Eat('.') || !Number(5, &b) || b < 1 || !Eat('.') ||
          !Number(6, &c)) {
        return false;
      }
      r->kind = TimeZone::Rule::Kind::kMonthWeekDay;
      r->month = static_cast<int>(a);
      r->week = static_cast<int>(b);
      r->day = static_cast<int>(c);
    } else {
      if (!Number(365, &a)) return false;
      r->kind = TimeZone::Rule::Kind::kJulian0;
      r->day = static_cast<int>(a);
    }
    r->time = 7200;
    if (Eat('/') && !Offset(167, &r->time)) return false;  // RFC 8536 allows -167..167 hours
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// The local midnight (as seconds since the epoch, no offset) of a rule's day
// in `year`, plus the rule's time of day.
int64_t RuleLocalSeconds(const TimeZone::Rule& r, int64_t year) {
  int y = static_cast<int>(year);
  int64_t day = 0;
  switch (r.kind) {
    case TimeZone::Rule::Kind::kJulian1:  // 1..365, February 29 never counted
      day = DaysFromCivil(y, 1, 1) + r.day - 1 + ((IsLeap(year) && r.day >= 60) ? 1 : 0);
      break;
    case TimeZone::Rule::Kind::kJulian0:  // 0..365, February 29 counted
      day = DaysFromCivil(y, 1, 1) + r.day;
      break;
    case TimeZone::Rule::Kind::kMonthWeekDay: {
      int64_t first = DaysFromCivil(y, r.month, 1);
      int first_wd = Weekday(y, r.month, 1);
      int offset = (r.day - first_wd + 7) % 7 + 7 * (r.week - 1);
      if (offset >= DaysInMonth(y, r.month)) offset -= 7;  // week 5 = the last one
      day = first + offset;
      break;
    }
  }
  return day * kSecondsPerDay + r.time;
}

// ---- TZif files (RFC 8536) ----

class Reader {
 public:
  Reader(const std::string& data, size_t pos) : d_(data), pos_(pos) {}
  bool Has(size_t n) const { return pos_ <= d_.size() && d_.size() - pos_ >= n; }
  int64_t Int(int bytes) {  // big-endian two's complement
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(d_[pos_++]);
    if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
  }
  uint8_t Byte() { return static_cast<uint8_t>(d_[pos_++]); }
  void Skip(size_t n) { pos_ += n; }
  size_t pos() const { return pos_; }

 private:
  const std::string& d_;
  size_t pos_;
};

struct Counts {
  uint64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
  uint64_t BlockSize(int time_bytes) const {
    return timecnt * time_bytes + timecnt + typecnt * 6 + charcnt + leapcnt * (time_bytes + 4) +
           isstdcnt + isutcnt;
  }
};

bool ReadHeader(Reader& r, char* version, Counts* c) {
  if (!r.Has(44)) return false;
  char magic[4];
  for (char& m : magic) m = static_cast<char>(r.Byte());
  if (std::string_view(magic, 4) != "TZif") return false;
  *version = static_cast<char>(r.Byte());
  r.Skip(15);
  c->isutcnt = static_cast<uint32_t>(r.Int(4));
  c->isstdcnt = static_cast<uint32_t>(r.Int(4));
  c->leapcnt = static_cast<uint32_t>(r.Int(4));
  c->timecnt = static_cast<uint32_t>(r.Int(4));
  c->typecnt = static_cast<uint32_t>(r.Int(4));
  c->charcnt = static_cast<uint32_t>(r.Int(4));
  return true;
}

Result<std::shared_ptr<const TimeZone>> ParseTzif(const std::string& zone, const std::string& data) {
  Reader r(data, 0);
  char version = 0;
  Counts c{};
  if (!ReadHeader(r, &version, &c)) return Bad(zone, "not a TZif file");
  int time_bytes = 4;
  if (version >= '2') {  // skip the 32-bit block, read the 64-bit one
    if (!r.Has(c.BlockSize(4))) return Bad(zone, "truncated TZif file");
    r.Skip(c.BlockSize(4));
    if (!ReadHeader(r, &version, &c)) return Bad(zone, "truncated TZif file (no 64-bit header)");
    time_bytes = 8;
  }
  if (c.typecnt == 0 || c.typecnt > 256 || c.timecnt > 100000 || c.charcnt == 0 ||
      (c.isstdcnt != 0 && c.isstdcnt != c.typecnt) || (c.isutcnt != 0 && c.isutcnt != c.typecnt)) {
    return Bad(zone, "inconsistent TZif header");
  }
  if (c.leapcnt != 0) {  // "right/" zones count leap seconds; stepflow's clock is POSIX time
    return Bad(zone, "has leap-second records (a right/ zone); use the zone without right/");
  }
  if (!r.Has(c.BlockSize(time_bytes))) return Bad(zone, "truncated TZif file");
  std::vector<int64_t> times(c.timecnt);
  for (auto& t : times) t = r.Int(time_bytes);
  std::vector<uint8_t> idx(c.timecnt);
  for (auto& i : idx) i = r.Byte();
  std::vector<int64_t> type_offsets(c.typecnt);
  for (auto& off : type_offsets) {
    off = r.Int(4);
    uint8_t isdst = r.Byte();
    r.Skip(1);  // abbreviation index
    if (isdst > 1 || off == INT32_MIN) return Bad(zone, "bad local time type in TZif file");
  }
  r.Skip(c.charcnt + c.isstdcnt + c.isutcnt);
  std::vector<int64_t> offsets;
  offsets.reserve(times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    if (idx[i] >= c.typecnt) return Bad(zone, "transition names a missing local time type");
    if (i > 0 && times[i] <= times[i - 1]) return Bad(zone, "transitions out of order");
    offsets.push_back(type_offsets[idx[i]]);
  }
  std::optional<TimeZone::PosixTz> footer;
  if (time_bytes == 8 && r.Has(1) && data[r.pos()] == '\n') {
    size_t begin = r.pos() + 1;
    size_t end = data.find('\n', begin);
    if (end == std::string::npos) return Bad(zone, "unterminated TZ string in TZif footer");
    std::string_view text(data.data() + begin, end - begin);
    if (!text.empty()) {
      footer = PosixParser(text).Parse();
      if (!footer) return Bad(zone, "cannot parse the TZ string '" + std::string(text) + "'");
    }
  }
  return std::shared_ptr<const TimeZone>(std::make_shared<TimeZone>(
      zone, std::move(times), std::move(offsets), type_offsets[0], std::move(footer)));
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name.front() == '/') return false;
  for (char ch : name) {
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '/' || ch == '_' || ch == '+' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  std::string_view rest(name);
  while (!rest.empty()) {  // no "." or ".." component, no empty one
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return name.back() != '/';
}

}  // namespace

// ---- calendar arithmetic (H. Hinnant's days-from-civil algorithms) ----

bool LocalTime::operator==(const LocalTime& o) const {
  return year == o.year && month == o.month && day == o.day && hour == o.hour &&
         minute == o.minute && second == o.second;
}

int64_t DaysFromCivil(int year, int month, int day) {
  int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  int64_t era = FloorDiv(y, 400);
  int64_t yoe = y - era * 400;
  int64_t mp = month > 2 ? month - 3 : month + 9;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeap(year)) return 29;
  return kDays[(month - 1) % 12];
}

int Weekday(int year, int month, int day) {
  int64_t d = DaysFromCivil(year, month, day) + 4;  // 1970-01-01 was a Thursday
  return static_cast<int>(d - FloorDiv(d, 7) * 7);
}

LocalTime CivilFromSeconds(int64_t seconds) {
  int64_t days = FloorDiv(seconds, kSecondsPerDay);
  int64_t sod = seconds - days * kSecondsPerDay;
  int64_t z = days + 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  LocalTime t;
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = static_cast<int>(yoe + era * 400 + (t.month <= 2 ? 1 : 0));
  t.hour = static_cast<int>(sod / 3600);
  t.minute = static_cast<int>(sod / 60 % 60);
  t.second = static_cast<int>(sod % 60);
  t.weekday = static_cast<int>(days + 4 - FloorDiv(days + 4, 7) * 7);
  return t;
}

int64_t SecondsFromCivil(const LocalTime& t) {
  return DaysFromCivil(t.year, t.month, t.day) * kSecondsPerDay + t.hour * 3600 + t.minute * 60 +
         t.second;
}

// ---- TimeZone ----

TimeZone::TimeZone(std::string name, std::vector<int64_t> transitions, std::vector<int64_t> offsets,
                   int64_t initial_offset, std::optional<PosixTz> footer)
    : name_(std::move(name)),
      transitions_(std::move(transitions)),
      offsets_(std::move(offsets)),
      initial_offset_(initial_offset),
      footer_(std::move(footer)) {
  min_offset_ = initial_offset_;
  for (int64_t o : offsets_) min_offset_ = std::min(min_offset_, o);
  if (footer_) {
    min_offset_ = std::min(min_offset_, footer_->std_offset);
    if (footer_->has_dst) min_offset_ = std::min(min_offset_, footer_->dst_offset);
  }
}

std::shared_ptr<const TimeZone> TimeZone::Fixed(std::string name, int64_t utc_offset_seconds) {
  return std::make_shared<TimeZone>(std::move(name), std::vector<int64_t>{},
                                    std::vector<int64_t>{}, utc_offset_seconds, std::nullopt);
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(const std::string& name) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const TimeZone>> cache;
  if (!ValidName(name)) {
    return Bad(name,
               "not a time zone name (expected an IANA name such as Europe/Berlin; no absolute "
               "paths, no '..')");
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<const TimeZone> zone;
  if (name == "UTC") {
    zone = Fixed("UTC", 0);
  } else {
    const char* env = std::getenv("TZDIR");
    std::string dir = (env != nullptr && *env != '\0') ? env : "/usr/share/zoneinfo";
    std::string path = dir + "/" + name;
    std::string data;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {  // not a directory such as "America"
      std::ifstream in(path, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      data = bytes.str();
    }
    if (data.empty()) {
      return Bad(name, "unknown time zone (no such zone in the tz database at " + dir + ")");
    }
    auto parsed = ParseTzif(name, data);
    if (!parsed.ok()) return parsed.status();
    zone = *parsed;
  }
  std::lock_guard<std::mutex> lock(mu);
  return cache.emplace(name, zone).first->second;  // a racing loader's copy wins; both are equal
}

void TimeZone::FooterChanges(int64_t year, std::vector<Change>& out) const {
  const PosixTz& f = *footer_;
  out.push_back({RuleLocalSeconds(f.start, year) - f.std_offset, f.dst_offset});
  out.push_back({RuleLocalSeconds(f.end, year) - f.dst_offset, f.std_offset});
}

int64_t TimeZone::OffsetAt(int64_t utc) const {
  bool after_table = transitions_.empty() || utc >= transitions_.back();
  if (!transitions_.empty() && utc < transitions_.front()) return initial_offset_;
  if (after_table && footer_) {
    if (!footer_->has_dst) return footer_->std_offset;
    int64_t year = CivilFromSeconds(utc + footer_->std_offset).year;
    std::vector<Change> changes;
    for (int64_t y = year - 1; y <= year + 1; ++y) FooterChanges(y, changes);
    // On a tie (DST all year: the end of one year's DST is the start of the
    // next), daylight time wins.
    std::sort(changes.begin(), changes.end(), [&](const Change& a, const Change& b) {
      if (a.at != b.at) return a.at < b.at;
      return a.offset != footer_->dst_offset && b.offset == footer_->dst_offset;
    });
    int64_t offset = footer_->std_offset;
    for (const Change& c : changes) {
      if (c.at <= utc) offset = c.offset;
    }
    return offset;
  }
  if (transitions_.empty()) return initial_offset_;
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

LocalTime TimeZone::ToLocal(int64_t utc) const { return CivilFromSeconds(utc + OffsetAt(utc)); }

std::optional<int64_t> TimeZone::NextTransition(int64_t utc) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  for (; it != transitions_.end(); ++it) {
    size_t i = static_cast<size_t>(it - transitions_.begin());
    int64_t before = i == 0 ? initial_offset_ : offsets_[i - 1];
    if (offsets_[i] != before) return *it;
  }
  if (!footer_) return std::nullopt;
  // Past the table the footer rules: its changes in this and the next years.
  int64_t from = transitions_.empty() ? utc : std::max(utc, transitions_.back());
  if (!footer_->has_dst) return std::nullopt;
  int64_t year = CivilFromSeconds(from).year;
  std::vector<Change> changes;
  for (int64_t y = year - 1; y <= year + 2; ++y) FooterChanges(y, changes);
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.at < b.at; });
  for (const Change& c : changes) {
    if (c.at > from && OffsetAt(c.at) != OffsetAt(c.at - 1)) return c.at;
  }
  return std::nullopt;
}

std::vector<int64_t> TimeZone::FromLocal(const LocalTime& local) const {
  // A solution u satisfies u + OffsetAt(u) == L. Offsets stay within a day,
  // so u lies within a day and a bit of L: try every offset in effect there.
  constexpr int64_t kWindow = 30 * 3600;
  int64_t l = SecondsFromCivil(local);
  std::vector<int64_t> candidates{OffsetAt(l - kWindow)};
  int64_t t = l - kWindow;
  for (int i = 0; i < 16; ++i) {
    std::optional<int64_t> next = NextTransition(t);
    if (!next || *next > l + kWindow) break;
    candidates.push_back(OffsetAt(*next));
    t = *next;
  }
  std::vector<int64_t> out;
  for (int64_t offset : candidates) {
    int64_t u = l - offset;
    if (OffsetAt(u) == offset) out.push_back(u);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace stepflow::triggers
