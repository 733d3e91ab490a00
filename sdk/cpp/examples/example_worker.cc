// stepflow_example_worker: a FunctionService (ARCHITECTURE §5) with small,
// deterministic fake versions of every function the example workflows in
// workflows/ call, so that crawler, ml_pipeline and web_request run end to end
// without a network, a dataset or a GPU.
//
//   stepflow_example_worker [--port N] [--listen HOST] [--flaky-until FILE]
//
// Listens on HOST (default 127.0.0.1) port N (default 0: chosen by the OS),
// prints "PORT <n>" on stdout, and logs one line per call on stderr. Exits 0
// after SIGTERM/SIGINT, 2 on bad arguments, 1 when it cannot listen.
//
// Failures to show off Retry, Catch and redrive:
//   * get_product for id "p-200" answers gRPC UNAVAILABLE on the first call of
//     each execution (the engine reports States.TaskFailed; the workflow's
//     Retry repeats the call, which then succeeds).
//   * with --flaky-until FILE, train_model fails with
//     Training.ClusterUnavailable while FILE does not exist. ml_pipeline has no
//     Catch for it, so the execution FAILS; create FILE, then
//     `stepflow exec redrive ID` resumes at TrainModel.
//   * authenticate: a token that is not "Bearer <something>" fails with
//     Auth.Unauthorized, "Bearer banned..." with Auth.Forbidden.
//   * rate_limit: more than `limit` calls for one key in one `windowSeconds`
//     window fail with RateLimit.Exceeded.
//   * recommend fails with Recommender.Unavailable for userId "0".
#include <grpcpp/support/status_code_enum.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "stepflow/worker.h"

namespace {

using Json = nlohmann::json;
using stepflow::worker::Call;
using stepflow::worker::CallRejected;
using stepflow::worker::TaskError;

struct Options {
  int port = 0;
  std::string listen = "127.0.0.1";
  std::string flaky_until;  // train_model fails while this file is missing
};

// FNV-1a: a stable hash, so fake numbers are the same on every run.
uint64_t Fnv(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A number in [lo, hi] derived from `text`, rounded to 2 decimals.
double Pick(const std::string& text, double lo, double hi) {
  const double unit = static_cast<double>(Fnv(text) % 10000) / 9999.0;
  return static_cast<double>(static_cast<int64_t>((lo + unit * (hi - lo)) * 100 + 0.5)) / 100;
}

std::string Str(const Json& in, const char* key, const std::string& fallback = "") {
  auto it = in.find(key);
  return it != in.end() && it->is_string() ? it->get<std::string>() : fallback;
}

int64_t Int(const Json& in, const char* key, int64_t fallback) {
  auto it = in.find(key);
  return it != in.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

class Functions {
 public:
  explicit Functions(Options options) : options_(std::move(options)) {
    table_ = {
        // crawler
        {"http_get", &Functions::HttpGet},
        {"parse_html", &Functions::ParseHtml},
        {"store_document", &Functions::StoreDocument},
        // ml_pipeline
        {"clean_dataset", &Functions::CleanDataset},
        {"extract_features", &Functions::ExtractFeatures},
        {"describe_stats", &Functions::DescribeStats},
        {"train_model", &Functions::TrainModel},
        {"render_charts", &Functions::RenderCharts},
        // web_request
        {"authenticate", &Functions::Authenticate},
        {"rate_limit", &Functions::RateLimit},
        {"get_product", &Functions::GetProduct},
        {"get_price", &Functions::GetPrice},
        {"get_user", &Functions::GetUser},
        {"get_orders", &Functions::GetOrders},
        {"recommend", &Functions::Recommend},
        {"render_response", &Functions::RenderResponse},
        {"log_error", &Functions::LogError},
        // site_crawl: what the sns:publish integration is mapped to
        {"notify", &Functions::Notify},
    };
  }

  // Registers every function with `worker`; each logs its call on stderr
  // and wants a JSON object as input.
  void RegisterAll(stepflow::worker::Worker& worker) {
    for (const auto& [name, fn] : table_) {
      worker.Register(name, [this, fn = fn](const Json& input, const Call& call) {
        std::cerr << "example_worker: " << call.function << "  execution " << call.execution_id
                  << "  state " << call.state_path
                  << (call.attempt > 0 ? "  attempt " + std::to_string(call.attempt) : "")
                  << std::endl;
        if (!input.is_object())
          throw TaskError("Worker.BadInput", "the input is not a JSON object");
        return (this->*fn)(input, call);
      });
    }
  }

 private:
  // ---------------------------------------------------------------- crawler
  Json HttpGet(const Json& in, const Call&) {
    const std::string url = Str(in, "url");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      throw TaskError{"Http.BadUrl", "not an http(s) URL: '" + url + "'"};
    }
    std::string host = url.substr(url.find("//") + 2);
    host = host.substr(0, host.find('/'));
    const std::string body =
        "<html><head><title>" + host +
        " - Example Domain</title></head><body>"
        "<h1>Example Domain</h1><p>This domain is for use in examples.</p>"
        "<a href=\"/about\">About</a> <a href=\"/docs/intro\">Docs</a> "
        "<a href=\"https://www.iana.org/domains/example\">More information...</a>"
        "</body></html>";
    return {{"status", 200},
            {"headers", {{"content-type", "text/html; charset=UTF-8"}}},
            {"body", body}};
  }

  // A tiny "parser": the <title> text and every href, made absolute.
  Json ParseHtml(const Json& in, const Call&) {
    const std::string html = Str(in, "html");
    std::string base = Str(in, "baseUrl");
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string title;
    if (size_t open = html.find("<title>"); open != std::string::npos) {
      size_t close = html.find("</title>", open);
      title =
          html.substr(open + 7, close == std::string::npos ? std::string::npos : close - open - 7);
    }
    Json links = Json::array();
    for (size_t at = html.find("href=\""); at != std::string::npos;
         at = html.find("href=\"", at + 1)) {
      const size_t end = html.find('"', at + 6);
      if (end == std::string::npos) break;
      std::string link = html.substr(at + 6, end - at - 6);
      if (!link.empty() && link[0] == '/') link = base + link;
      links.push_back(link);
    }
    // Words of the text outside the tags, and the five most frequent.
    std::map<std::string, int> counts;
    int64_t words = 0;
    std::string word;
    bool inside = false;
    for (char c : html + " ") {
      if (c == '<') inside = true;
      if (!inside && std::isalpha(static_cast<unsigned char>(c))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        continue;
      }
      if (c == '>') inside = false;
      if (!word.empty()) {
        ++counts[word];
        ++words;
        word.clear();
      }
    }
    std::vector<std::pair<std::string, int>> ranked(counts.begin(), counts.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    Json top = Json::array();
    for (size_t i = 0; i < ranked.size() && i < 5; ++i) {
      top.push_back({{"word", ranked[i].first}, {"count", ranked[i].second}});
    }
    return {{"title", title}, {"links", links}, {"wordCount", words}, {"topWords", top}};
  }

  Json StoreDocument(const Json& in, const Call&) {
    const std::string key = Str(in, "key");
    if (key.empty()) throw TaskError{"Storage.BadKey", "store_document needs a key"};
    const Json document = in.value("document", Json::object());
    return {{"key", "s3://stepflow-demo/" + key},
            {"bytes", document.dump().size()},
            {"etag", std::to_string(Fnv(document.dump()) % 1000000007)}};
  }

  // ------------------------------------------------------------ ml_pipeline
  Json CleanDataset(const Json& in, const Call&) {
    const std::string source = Str(in, "source");
    const int64_t raw = 150 + static_cast<int64_t>(Fnv(source) % 50);
    const int64_t dropped = in.value("dropDuplicates", false) ? raw - 150 : 0;
    return {{"path", Str(in, "destination", source + ".clean")},
            {"rows", raw - dropped},
            {"dropped", dropped},
            {"filledMissing", {{"strategy", Str(in, "fillMissing", "none")}, {"cells", 3}}}};
  }

  Json ExtractFeatures(const Json& in, const Call&) {
    const Json columns = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    return {{"path", Str(in, "destination")}, {"target", Str(in, "target")}, {"columns", columns}};
  }

  // Plausible but made-up statistics, the same for a column name every time.
  Json DescribeStats(const Json& in, const Call&) {
    Json out = Json::object();
    for (const Json& column : in.value("columns", Json::array())) {
      if (!column.is_string()) continue;
      const std::string name = column.get<std::string>();
      const double mean = Pick(name + "/mean", 1.0, 6.0);
      const double sd = Pick(name + "/std", 0.2, 1.8);
      Json stats = {{"count", 150}, {"mean", mean}, {"std", sd}};
      for (const Json& p : in.value("percentiles", Json::array())) {
        if (!p.is_number()) continue;
        const double q = p.get<double>();
        const double value = mean + (q - 0.5) * 2.7 * sd;
        stats[std::to_string(static_cast<int>(q * 100 + 0.5)) + "%"] =
            static_cast<double>(static_cast<int64_t>(value * 100 + 0.5)) / 100;
      }
      out[name] = stats;
    }
    return out;
  }

  Json TrainModel(const Json& in, const Call&) {
    const std::string& flag = options_.flaky_until;
    if (!flag.empty() && !std::filesystem::exists(flag)) {
      throw TaskError{"Training.ClusterUnavailable",
                      "training cluster unavailable (create " + flag + " to fix)"};
    }
    const std::string seed = Str(in, "algorithm") + "/" + std::to_string(Int(in, "seed", 0));
    const double accuracy = Pick(seed + "/accuracy", 0.90, 0.98);
    return {{"modelUri", Str(in, "modelUri")},
            {"algorithm", Str(in, "algorithm")},
            {"metrics",
             {{"accuracy", accuracy},
              {"f1", static_cast<double>(static_cast<int64_t>(accuracy * 100 - 1)) / 100},
              {"trainSeconds", Pick(seed + "/seconds", 20, 90)}}}};
  }

  Json RenderCharts(const Json& in, const Call&) {
    const std::string dir = Str(in, "outputDir");
    Json files = Json::array();
    for (const Json& chart : in.value("charts", Json::array())) {
      if (chart.is_string()) files.push_back(dir + "/" + chart.get<std::string>() + ".png");
    }
    return {{"title", Str(in, "title")}, {"files", files}};
  }

  // ------------------------------------------------------------ web_request
  Json Authenticate(const Json& in, const Call&) {
    const std::string token = Str(in, "token");
    if (token.rfind("Bearer ", 0) != 0 || token.size() == 7) {
      throw TaskError{"Auth.Unauthorized", "missing or malformed bearer token"};
    }
    const std::string secret = token.substr(7);
    if (secret.rfind("banned", 0) == 0) {
      throw TaskError{"Auth.Forbidden", "this token has been revoked"};
    }
    return {{"userId", "u-" + std::to_string(1000 + Fnv(secret) % 9000)},
            {"roles", secret == "admin-token" ? Json{"user", "admin"} : Json{"user"}}};
  }

  // A fixed-window counter per key, in this worker's memory.
  Json RateLimit(const Json& in, const Call&) {
    const std::string key = Str(in, "key");
    const int64_t limit = Int(in, "limit", 100);
    const int64_t window = std::max<int64_t>(1, Int(in, "windowSeconds", 60));
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    int64_t count;
    {
      std::lock_guard lock(mutex_);
      count = ++rate_counts_[key + "@" + std::to_string(now / window)];
    }
    if (count > limit) {
      throw TaskError{"RateLimit.Exceeded", key + " made more than " + std::to_string(limit) +
                                                " requests in " + std::to_string(window) + " s"};
    }
    return {
        {"allowed", true}, {"remaining", limit - count}, {"resetInSeconds", window - now % window}};
  }

  Json GetProduct(const Json& in, const Call& call) {
    const std::string id = Str(in, "id");
    if (id.empty()) throw TaskError{"Catalog.NotFound", "no product id"};
    if (id == "p-200" && FirstCall(call, "get_product/" + id)) {
      throw CallRejected(grpc::StatusCode::UNAVAILABLE,
                         "catalog replica restarting (fails once per execution)");
    }
    static const char* kNames[] = {"Espresso cup", "Pour-over kettle", "Burr grinder",
                                   "Milk frother", "Coffee scale"};
    static const char* kCategories[] = {"tableware", "brewing", "grinders"};
    const uint64_t h = Fnv("name:" + id);
    return {{"id", id},
            {"name", kNames[h % 5]},
            {"category", kCategories[(h / 5) % 3]},
            {"inStock", h % 7 != 0}};
  }

  Json GetPrice(const Json& in, const Call&) {
    const std::string id = Str(in, "productId");
    return {{"productId", id}, {"amount", Pick(id + "/price", 5, 120)}, {"currency", "EUR"}};
  }

  Json GetUser(const Json& in, const Call&) {
    const std::string id = Str(in, "id");
    if (id.empty()) throw TaskError{"Users.NotFound", "no user id"};
    static const char* kNames[] = {"Ada Lovelace", "Grace Hopper", "Alan Turing",
                                   "Edsger Dijkstra"};
    const std::string name = kNames[Fnv(id) % 4];
    std::string handle = name.substr(0, name.find(' '));
    for (char& c : handle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {{"id", id}, {"name", name}, {"email", handle + "@example.com"}};
  }

  Json GetOrders(const Json& in, const Call&) {
    const std::string user = Str(in, "userId");
    const int64_t n = std::min<int64_t>(Int(in, "limit", 10), 1 + Fnv(user) % 3);
    Json orders = Json::array();
    for (int64_t i = 0; i < n; ++i) {
      const std::string id = "o-" + std::to_string(Fnv(user + std::to_string(i)) % 90000 + 10000);
      orders.push_back({{"orderId", id}, {"total", Pick(id, 10, 200)}, {"status", "shipped"}});
    }
    return orders;
  }

  Json Recommend(const Json& in, const Call&) {
    const std::string user = Str(in, "userId");
    if (user == "0") throw TaskError{"Recommender.Unavailable", "no model for user 0"};
    Json ids = Json::array();
    for (int64_t i = 0; i < std::min<int64_t>(Int(in, "count", 5), 3); ++i) {
      ids.push_back("p-" + std::to_string(100 * (1 + (Fnv(user) + i) % 9)));
    }
    return ids;
  }

  Json RenderResponse(const Json& in, const Call&) {
    const std::string tmpl = Str(in, "template");
    const Json data = in.value("data", Json());
    std::string body;
    if (tmpl == "product_list" && data.is_array()) {
      body = "<ul>";
      for (const Json& item : data) {
        const Json product = item.value("product", Json::object());
        const Json price = item.value("price", Json::object());
        body += "<li>" + product.value("name", std::string("?")) + " " +
                Json(price.value("amount", 0.0)).dump() + " " +
                price.value("currency", std::string("")) + "</li>";
      }
      body += "</ul>";
    } else if (tmpl == "user_page" && data.is_object()) {
      const Json user = data.value("user", Json::object());
      body = "<h1>" + user.value("name", std::string("?")) + "</h1><p>" +
             std::to_string(data.value("orders", Json::array()).size()) + " orders, " +
             std::to_string(data.value("recommendations", Json::array()).size()) +
             " recommendations</p>";
    } else {
      throw TaskError{"Render.UnknownTemplate", "no template named '" + tmpl + "'"};
    }
    return {{"status", Int(in, "status", 200)},
            {"headers", {{"content-type", "text/html"}}},
            {"body", body}};
  }

  Json LogError(const Json& in, const Call&) {
    std::cerr << "example_worker: request " << Str(in, "requestId") << " " << Str(in, "route")
              << " failed: " << Str(in, "error") << ": " << Str(in, "cause") << std::endl;
    return {{"logged", true}};
  }

  // An SNS Publish stand-in: the message goes to the worker's log; the
  // answer has SNS's shape ({"MessageId"}).
  Json Notify(const Json& in, const Call& call) {
    const std::string message = Str(in, "Message");
    if (message.empty()) throw TaskError("SNS.InvalidParameterException", "Message is empty");
    std::cerr << "example_worker: notify " << Str(in, "TopicArn", "(no topic)") << ": " << message
              << std::endl;
    char id[40];
    std::snprintf(id, sizeof id, "%016llx",
                  static_cast<unsigned long long>(Fnv(call.idempotency_key + message)));
    return {{"MessageId", id}};
  }

  // True the first time `what` is asked for in the current call's execution.
  bool FirstCall(const Call& call, const std::string& what) {
    std::lock_guard lock(mutex_);
    return seen_.insert(call.execution_id + "|" + what).second;
  }

  const Options options_;
  std::map<std::string, Json (Functions::*)(const Json&, const Call&)> table_;
  std::mutex mutex_;  // guards the two members below
  std::map<std::string, int64_t> rate_counts_;
  std::set<std::string> seen_;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "stepflow_example_worker: " << problem << "\n"
            << "usage: stepflow_example_worker [--port N] [--listen HOST] [--flaky-until FILE]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--port") {
      const std::string v = value();
      char* end = nullptr;
      const long port = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || port < 0 || port > 65535) Usage("bad port '" + v + "'");
      options.port = static_cast<int>(port);
    } else if (arg == "--listen") {
      options.listen = value();
    } else if (arg == "--flaky-until") {
      options.flaky_until = value();
    } else if (arg == "--help" || arg == "-h") {
      Usage("help");
    } else {
      Usage("unknown argument '" + arg + "'");
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  Functions functions(options);
  stepflow::worker::Worker worker;
  functions.RegisterAll(worker);
  stepflow::worker::Worker::InstallSignalHandlers();
  std::string host = options.listen;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  try {
    std::cout << "PORT " << worker.Start(host + ":" + std::to_string(options.port)) << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "stepflow_example_worker: " << e.what() << "\n";
    return 1;
  }
  worker.Wait();
  return 0;
}
