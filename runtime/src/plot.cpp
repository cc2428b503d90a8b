// plot.cpp — SVG line charts of the per-epoch records of a training run.
#include "gradc/runtime/plot.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace gradc::rt {

namespace {

// Layout of one panel, in SVG user units.
constexpr double kWidth = 760, kPanelHeight = 300;
constexpr double kLeft = 70, kRight = 170, kTop = 36, kBottom = 48;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPlotHeight = kPanelHeight - kTop - kBottom;

// Fields of a record that are not curves.
const std::set<std::string> kNotCurves = {"record", "epoch", "step", "lr", "seconds",
                                          "grad_norm"};

std::string number(double value, int digits = 6) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

// The quantity a curve shows: its name without a val_ or test_ prefix.
std::string quantityOf(const std::string &name) {
  for (const char *prefix : {"val_", "test_"})
    if (name.rfind(prefix, 0) == 0)
      return name.substr(std::string(prefix).size());
  return name;
}

struct Style {
  const char *color;
  const char *dash;
};

Style styleOf(const std::string &name) {
  if (name.rfind("val_", 0) == 0)
    return {"#d95f02", ""};
  if (name.rfind("test_", 0) == 0)
    return {"#1b9e77", "6 3"};
  return {"#386cb0", ""};
}

// Tick positions covering [low, high]: multiples of 1, 2 or 5 × 10^k, about
// `wanted` of them.
std::vector<double> ticks(double low, double high, int wanted, bool integers) {
  double raw = (high - low) / wanted;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0})
    if (factor * magnitude >= raw) {
      step = factor * magnitude;
      break;
    }
  if (integers)
    step = std::max(1.0, std::round(step));
  std::vector<double> result;
  for (double tick = std::ceil(low / step - 1e-9) * step; tick <= high + step * 1e-9;
       tick += step)
    result.push_back(std::abs(tick) < step * 1e-9 ? 0.0 : tick);
  return result;
}

struct Range {
  double low, high;
  double at(double value, double pixels) const { return (value - low) / (high - low) * pixels; }
};

Range paddedRange(double low, double high) {
  if (high == low) {
    double pad = low == 0 ? 1.0 : std::abs(low) * 0.1;
    return {low - pad, high + pad};
  }
  double pad = (high - low) * 0.05;
  return {low - pad, high + pad};
}

using Curve = std::vector<std::pair<double, double>>; // (epoch, value)

void drawPanel(std::string &svg, double top, const std::string &quantity,
               const std::vector<std::pair<std::string, Curve>> &curves, Range x) {
  double low = INFINITY, high = -INFINITY;
  for (const auto &[name, curve] : curves)
    for (const auto &[epoch, value] : curve)
      if (std::isfinite(value)) {
        low = std::min(low, value);
        high = std::max(high, value);
      }
  if (!std::isfinite(low)) // no finite value at all: an empty panel
    low = 0, high = 1;
  Range y = paddedRange(low, high);
  auto px = [&](double epoch) { return kLeft + x.at(epoch, kPlotWidth); };
  auto py = [&](double value) { return kTop + kPlotHeight - y.at(value, kPlotHeight); };

  svg += "<g class=\"panel\" data-quantity=\"" + escape(quantity) +
         "\" transform=\"translate(0," + number(top) + ")\">\n";
  svg += "<text class=\"panel-title\" x=\"" + number(kLeft) + "\" y=\"22\" font-size=\"14\" "
         "font-weight=\"bold\">" + escape(quantity) + "</text>\n";
  // Grid and axes.
  svg += "<g class=\"axis\" data-axis=\"y\" stroke=\"#000\">\n";
  for (double tick : ticks(y.low, y.high, 5, false)) {
    std::string at = number(py(tick));
    svg += "<line x1=\"" + number(kLeft) + "\" x2=\"" + number(kLeft + kPlotWidth) +
           "\" y1=\"" + at + "\" y2=\"" + at + "\" stroke=\"#e0e0e0\"/>\n";
    svg += "<line x1=\"" + number(kLeft - 5) + "\" x2=\"" + number(kLeft) + "\" y1=\"" + at +
           "\" y2=\"" + at + "\"/>\n";
    svg += "<text class=\"tick\" x=\"" + number(kLeft - 8) + "\" y=\"" + at +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\" stroke=\"none\">" +
           number(tick, 4) + "</text>\n";
  }
  svg += "<line x1=\"" + number(kLeft) + "\" x2=\"" + number(kLeft) + "\" y1=\"" +
         number(kTop) + "\" y2=\"" + number(kTop + kPlotHeight) + "\"/>\n</g>\n";
  svg += "<g class=\"axis\" data-axis=\"x\" stroke=\"#000\">\n";
  for (double tick : ticks(x.low, x.high, 8, true)) {
    std::string at = number(px(tick));
    svg += "<line x1=\"" + at + "\" x2=\"" + at + "\" y1=\"" + number(kTop + kPlotHeight) +
           "\" y2=\"" + number(kTop + kPlotHeight + 5) + "\"/>\n";
    svg += "<text class=\"tick\" x=\"" + at + "\" y=\"" + number(kTop + kPlotHeight + 18) +
           "\" text-anchor=\"middle\" stroke=\"none\">" + number(tick) + "</text>\n";
  }
  svg += "<line x1=\"" + number(kLeft) + "\" x2=\"" + number(kLeft + kPlotWidth) + "\" y1=\"" +
         number(kTop + kPlotHeight) + "\" y2=\"" + number(kTop + kPlotHeight) + "\"/>\n";
  svg += "<text x=\"" + number(kLeft + kPlotWidth / 2) + "\" y=\"" +
         number(kTop + kPlotHeight + 38) + "\" text-anchor=\"middle\" stroke=\"none\">epoch"
         "</text>\n</g>\n";

  // One series per curve, and its legend entry.
  double legendY = kTop + 8;
  for (const auto &[name, curve] : curves) {
    Style style = styleOf(name);
    std::string dash = *style.dash ? std::string(" stroke-dasharray=\"") + style.dash + "\"" : "";
    svg += "<g class=\"series\" data-name=\"" + escape(name) + "\" stroke=\"" + style.color +
           "\" fill=\"" + style.color + "\">\n";
    std::string points;
    auto endLine = [&] {
      if (!points.empty())
        svg += "<polyline fill=\"none\" stroke-width=\"2\"" + dash + " points=\"" + points +
               "\"/>\n";
      points.clear();
    };
    for (const auto &[epoch, value] : curve) {
      if (!std::isfinite(value)) {
        endLine();
        continue;
      }
      points += (points.empty() ? "" : " ") + number(px(epoch)) + "," + number(py(value));
    }
    endLine();
    for (const auto &[epoch, value] : curve)
      if (std::isfinite(value))
        svg += "<circle cx=\"" + number(px(epoch)) + "\" cy=\"" + number(py(value)) +
               "\" r=\"3\"><title>" + escape(name) + " " + number(value) + " (epoch " +
               number(epoch) + ")</title></circle>\n";
    svg += "</g>\n";
    const double legendX = kLeft + kPlotWidth + 16;
    svg += "<g class=\"legend-entry\" data-name=\"" + escape(name) + "\">\n<line x1=\"" +
           number(legendX) + "\" x2=\"" + number(legendX + 24) + "\" y1=\"" + number(legendY) +
           "\" y2=\"" + number(legendY) + "\" stroke=\"" + style.color +
           "\" stroke-width=\"2\"" + dash + "/>\n<text x=\"" + number(legendX + 30) +
           "\" y=\"" + number(legendY) + "\" dominant-baseline=\"middle\">" + escape(name) +
           "</text>\n</g>\n";
    legendY += 20;
  }
  svg += "</g>\n";
}

} // namespace

std::string plotRun(const std::vector<LogRecord> &records, const std::string &title) {
  // The last record of each epoch.
  std::map<double, const LogRecord *> epochs;
  for (const LogRecord &record : records) {
    std::optional<double> epoch = record.number("epoch");
    if (record.kind() == "epoch" && epoch && std::isfinite(*epoch))
      epochs[*epoch] = &record;
  }
  std::vector<std::string> quantities;
  std::map<std::string, std::vector<std::pair<std::string, Curve>>> curvesOf;
  for (const auto &[epoch, record] : epochs)
    for (const auto &[name, value] : record->fields) {
      std::optional<double> number = record->number(name);
      if (kNotCurves.count(name) || !number)
        continue;
      std::string quantity = quantityOf(name);
      if (!curvesOf.count(quantity))
        quantities.push_back(quantity);
      auto &curves = curvesOf[quantity];
      auto found = std::find_if(curves.begin(), curves.end(),
                                [&](const auto &curve) { return curve.first == name; });
      if (found == curves.end()) {
        curves.emplace_back(name, Curve());
        found = curves.end() - 1;
      }
      found->second.emplace_back(epoch, *number);
    }
  if (quantities.empty())
    throw Error("nothing to plot: the log has no epoch records with a loss or metric");
  // The loss first, then the metrics in the order the log has them; within a
  // panel, training, validation, test.
  std::stable_partition(quantities.begin(), quantities.end(),
                        [](const std::string &quantity) { return quantity == "loss"; });
  for (auto &[quantity, curves] : curvesOf)
    std::stable_sort(curves.begin(), curves.end(), [](const auto &a, const auto &b) {
      auto rank = [](const std::string &name) {
        return name.rfind("val_", 0) == 0 ? 1 : name.rfind("test_", 0) == 0 ? 2 : 0;
      };
      return rank(a.first) < rank(b.first);
    });

  Range x{epochs.begin()->first, epochs.rbegin()->first};
  if (x.high == x.low)
    x = {x.low - 1, x.high + 1};
  const double height = 40 + kPanelHeight * static_cast<double>(quantities.size());
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(kWidth) +
                    "\" height=\"" + number(height) + "\" viewBox=\"0 0 " + number(kWidth) +
                    " " + number(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + escape(title) + "</title>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + number(kWidth / 2) + "\" y=\"26\" text-anchor=\"middle\" "
         "font-size=\"16\">" + escape(title) + "</text>\n";
  for (size_t i = 0; i < quantities.size(); ++i)
    drawPanel(svg, 40 + kPanelHeight * static_cast<double>(i), quantities[i],
              curvesOf[quantities[i]], x);
  svg += "</svg>\n";
  return svg;
}

void writePlot(const std::filesystem::path &path, const std::vector<LogRecord> &records,
               const std::string &title) {
  writeFileAtomically(path, plotRun(records, title));
}

} // namespace gradc::rt
