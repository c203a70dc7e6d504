// Malformed patch files against the real binary, three ways in: `chronus render FILE`, `chronus ctl
// load NAME` and a raw /patch/load NAME to a running `chronus serve --audio null`. The corpus is
// built here (truncated, nested deep, huge numbers, NaN/Inf, duplicate ids, unknown types, ports and
// parameters, cycles, 10^6 modules declared, wrong types in every field, BOMs, invalid UTF-8, NUL
// bytes, a symlink, a FIFO, a directory, /dev/zero, a file over 16 MiB), plus the replayed finds of
// tests/data/fuzz-corpus. Each must give its own error (the fragment each case expects) with exit
// status 1 (a UTF-8 BOM before valid JSON is no error: that file loads every way in), and serve
// must answer afterwards with its pending and committed patch untouched and its memory within a
// bound; at the end serve stops cleanly (no sanitizer report in build-asan).

#include "ServeProcess.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <vector>

using namespace chronus::test;

namespace {

// Whether `text` holds a control character other than a line break: an escape sequence or a NUL
// from a file, printed as it is, would drive the terminal that shows the error.
bool hasControlCharacters(const QString& text) {
    for (const QChar c : text)
        if ((c.unicode() < 0x20 && c != QLatin1Char('\n')) || c.unicode() == 0x7f)
            return true;
    return false;
}

// How a case's file is made in a folder: most are bytes; some are things that are not files.
struct Case {
    QString name;   // the file name without .json (also its /patch/load name)
    QByteArray bytes;
    QString expect; // a fragment of the error every way in gives
    // Made instead of writing `bytes` (a FIFO, a link, ...); returns false if it could not be.
    std::function<bool(const QString& path)> make;
    // The fragment through serve's patches folder, where only plain files are read ("" = `expect`).
    QString expectInFolder;
};

QByteArray patch(const QByteArray& modules, const QByteArray& cables = "[]") {
    return R"({"format": "chronus-patch", "version": 1, "modules": )" + modules + R"(, "cables": )" + cables + "}";
}
QByteArray withVersion(const QByteArray& version) {
    return R"({"format": "chronus-patch", "version": )" + version + R"(, "modules": []})";
}
const QByteArray kValid = patch(R"([{"id": "a", "type": "sine", "params": {"freq": 440}}])", R"([{"from": "a", "to": "out"}])");
// The expectation of a file that is hostile-looking but valid: it loads every way in.
const QString kLoads = QStringLiteral("(loads)");
const QByteArray kOneSine = R"([{"id": "a", "type": "sine"}])";
// serve's resident memory may grow by this much over the whole corpus: the allocator keeps the pages
// the 10^6-module file's parse took (measured: +20 MiB over the corpus; ten loads of that file in a
// row level off at +23 MiB after the second); a leak of what a big file's parse takes would pass it.
constexpr long long kRssBoundKiB = 32 * 1024;

std::vector<Case> corpus() {
    std::vector<Case> c;
    const auto add = [&](const char* name, const QByteArray& bytes, const char* expect) {
        c.push_back({QString::fromLatin1(name), bytes, QString::fromLatin1(expect), {}, {}});
    };
    // Truncated, at every kind of place.
    add("empty", "", "invalid JSON");
    add("trunc-1", kValid.left(1), "invalid JSON");
    add("trunc-in-key", kValid.left(5), "invalid JSON");
    add("trunc-in-string", kValid.left(kValid.indexOf("sine") + 2), "invalid JSON");
    add("trunc-in-number", kValid.left(kValid.indexOf("440") + 2), "invalid JSON");
    add("trunc-last-brace", kValid.left(kValid.size() - 1), "invalid JSON");
    // Nesting.
    add("deep-arrays", QByteArray(100000, '[') + QByteArray(100000, ']'), "invalid JSON");
    add("deep-objects", QByteArray("{\"a\":").repeated(5000) + "1" + QByteArray(5000, '}'), "invalid JSON");
    {
        const QByteArray nested = QByteArray("{\"x\": ").repeated(500) + "1" + QByteArray(500, '}');
        add("deep-param", patch(R"([{"id": "a", "type": "sine", "params": {"freq": )" + nested + "}}]"),
            "modules[0].params.freq: expected a number, found an object");
    }
    // Numbers.
    add("version-huge", withVersion("1e308"), "version: expected a positive integer");
    add("version-overflow", withVersion("1e999"), "invalid JSON");
    add("version-fraction", withVersion("1.5"), "version: expected a positive integer");
    add("version-zero", withVersion("0"), "version: expected a positive integer");
    add("version-negative", withVersion("-1"), "version: expected a positive integer");
    add("version-future", withVersion("7"), "newer than this Chronus understands");
    add("version-string", withVersion("\"1\""), "version: expected a positive integer");
    add("number-overflow", patch(R"([{"id": "a", "type": "sine", "params": {"freq": 1e99999}}])"), "invalid JSON");
    add("number-digits", patch(R"([{"id": "a", "type": "sine", "params": {"freq": )" + QByteArray(100000, '9') + "}}]"),
        "invalid JSON");
    add("position-huge", patch(R"([{"id": "a", "type": "sine", "position": [1e308, -1e308, 1]}])"),
        "modules[0].position: expected [x, y] numbers");
    // NaN and infinity: not JSON, and not numbers when quoted.
    add("nan", patch(R"([{"id": "a", "type": "sine", "params": {"freq": NaN}}])"), "invalid JSON");
    add("infinity", patch(R"([{"id": "a", "type": "sine", "params": {"freq": Infinity}}])"), "invalid JSON");
    add("minus-infinity", patch(R"([{"id": "a", "type": "sine", "params": {"freq": -Infinity}}])"), "invalid JSON");
    add("nan-quoted", patch(R"([{"id": "a", "type": "sine", "params": {"freq": "NaN"}}])"), "modules[0].params.freq");
    // Identity.
    add("duplicate-id", patch(R"([{"id": "a", "type": "sine"}, {"id": "a", "type": "saw"}])"), "modules[1]");
    add("empty-id", patch(R"([{"id": "", "type": "sine"}])"), "modules[0]");
    add("id-with-dot", patch(R"([{"id": "a.b", "type": "sine"}])"), "modules[0]");
    add("id-nul", patch(R"([{"id": "a\u0000b", "type": "sine"}])"), "modules[0]");
    add("id-control", patch(R"([{"id": "a\u001b[2J", "type": "sine"}])"), "modules[0]");
    add("out-as-sine", patch(R"([{"id": "out", "type": "sine"}])"), "modules[0].type: 'out' is the output module");
    // Unknown names.
    add("unknown-type", patch(R"([{"id": "a", "type": "wobbulator"}])"), "unknown module type 'wobbulator'");
    add("unknown-param", patch(R"([{"id": "a", "type": "sine", "params": {"wobble": 1}}])"), "modules[0].params.wobble");
    add("unknown-port", patch(kOneSine, R"([{"from": "a.nosuch", "to": "out"}])"), "cables[0]");
    add("unknown-module-in-cable", patch(kOneSine, R"([{"from": "ghost", "to": "out"}])"), "cables[0]");
    add("unknown-top-key", R"({"format": "chronus-patch", "version": 1, "modules": [], "evil": 1})",
        "unknown key 'evil'");
    add("unknown-module-key", patch(R"([{"id": "a", "type": "sine", "colour": "red"}])"), "unknown key 'colour'");
    add("unknown-cable-key", patch(kOneSine, R"([{"from": "a", "to": "out", "via": "x"}])"), "unknown key 'via'");
    // Cycles.
    add("cycle-two", patch(R"([{"id": "a", "type": "sine"}, {"id": "b", "type": "sine"}])",
                           R"([{"from": "a", "to": "b.fm"}, {"from": "b", "to": "a.fm"}])"),
        "would make a cycle");
    add("cycle-self", patch(kOneSine, R"([{"from": "a", "to": "a.fm"}])"), "cables[0]");
    add("cable-input-to-input", patch(R"([{"id": "a", "type": "sine"}, {"id": "b", "type": "vca"}])",
                                      R"([{"from": "b.in", "to": "a.fm"}])"),
        "cables[0]");
    // Counts.
    {
        QByteArray million = "[";
        million.reserve(3 * 1000000 + 2);
        for (int i = 0; i < 1000000; ++i)
            million += i ? ",{}" : "{}";
        million += "]";
        add("million-modules", patch(million), "more than 4096 modules");
    }
    {
        QByteArray many = "[";
        for (int i = 0; i < 20000; ++i)
            many += QByteArray(i ? "," : "") + R"({"from": "a", "to": "out"})";
        many += "]";
        add("many-cables", patch(kOneSine, many), "more than 16384 cables");
    }
    // Wrong types everywhere.
    add("top-array", "[]", "top level: expected an object");
    add("top-string", "\"chronus-patch\"", "invalid JSON"); // Qt's parser takes only an object or an array
    add("top-number", "42", "invalid JSON");
    add("top-null", "null", "invalid JSON");
    add("format-number", R"({"format": 1, "version": 1})", "format: expected \"chronus-patch\"");
    add("format-other", R"({"format": "ableton", "version": 1})", "format: expected \"chronus-patch\"");
    add("modules-object", patch("{}"), "modules: expected an array, found an object");
    add("modules-string", patch("\"sine\""), "modules: expected an array, found a string");
    add("module-number", patch("[1]"), "modules[0]: expected an object, found a number");
    add("module-null", patch("[null]"), "modules[0]: expected an object, found null");
    add("id-number", patch(R"([{"id": 5, "type": "sine"}])"), "modules[0].id: expected a string, found a number");
    add("type-null", patch(R"([{"id": "a", "type": null}])"), "modules[0].type: expected a string, found null");
    add("type-array", patch(R"([{"id": "a", "type": ["sine"]}])"), "modules[0].type: expected a string, found an array");
    add("params-array", patch(R"([{"id": "a", "type": "sine", "params": [440]}])"),
        "modules[0].params: expected an object, found an array");
    add("param-bool", patch(R"([{"id": "a", "type": "sine", "params": {"freq": true}}])"),
        "modules[0].params.freq: expected a number, found a boolean");
    add("param-null", patch(R"([{"id": "a", "type": "sine", "params": {"freq": null}}])"),
        "modules[0].params.freq: expected a number, found null");
    add("position-string", patch(R"([{"id": "a", "type": "sine", "position": "left"}])"), "modules[0].position");
    add("cables-object", patch(kOneSine, "{}"), "cables: expected an array, found an object");
    add("cable-number", patch(kOneSine, "[3]"), "cables[0]: expected an object, found a number");
    add("cable-from-number", patch(kOneSine, R"([{"from": 3, "to": "out"}])"), "cables[0]: expected \"from\" and \"to\" strings");
    // Encodings.
    add("bom-utf8", "\xef\xbb\xbf" + kValid, "(loads)"); // as Qt's parser reads it, and editors on Windows write it
    add("bom-utf8-truncated", "\xef\xbb\xbf" + kValid.left(30), "invalid JSON");
    add("bom-utf16le", QByteArray("\xff\xfe", 2) + "{\0\"\0", "invalid JSON");
    add("utf16-text", QByteArray("{\0\"\0f\0o\0r\0m\0a\0t\0\"\0:\0", 20), "invalid JSON");
    add("invalid-utf8-id", patch("[{\"id\": \"a\xff\xfe\", \"type\": \"sine\"}]"), "invalid JSON");
    add("invalid-utf8-overlong", patch("[{\"id\": \"\xc0\xaf\", \"type\": \"sine\"}]"), "invalid JSON");
    add("invalid-utf8-key", "{\"form\xe9\": 1}", "invalid JSON");
    add("nul-between-tokens", "{" + QByteArray(1, '\0') + kValid.mid(1), "invalid JSON");
    // Raw control bytes inside a string pass Qt's parser; the field then says what is wrong with it.
    add("nul-in-format", kValid.left(20) + QByteArray(1, '\0') + kValid.mid(20), "format: expected \"chronus-patch\"");
    add("nul-in-id", patch(QByteArray("[{\"id\": \"a\0b\", \"type\": \"sine\"}]", 31)), "modules[0]");
    add("escape-in-type", patch("[{\"id\": \"a\", \"type\": \"si\x1b[2Jne\"}]"), "unknown module type");
    add("nul-only", QByteArray(4096, '\0'), "invalid JSON");
    add("garbage-binary", QByteArray("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16), "invalid JSON");
    // Things that are not plain files. Through the patches folder, names are plain files only.
    const QString notInFolder = QStringLiteral("patches are read and written only as plain files");
    c.push_back({"link-to-zero", {}, "not a regular file",
                 [](const QString& p) { return ::symlink("/dev/zero", QFile::encodeName(p).constData()) == 0; },
                 notInFolder});
    c.push_back({"link-dangling", {}, "cannot open",
                 [](const QString& p) { return ::symlink("/nonexistent/chronus", QFile::encodeName(p).constData()) == 0; },
                 notInFolder});
    c.push_back({"fifo", {}, "not a regular file",
                 [](const QString& p) { return ::mkfifo(QFile::encodeName(p).constData(), 0600) == 0; }, notInFolder});
    c.push_back({"directory", {}, "not a regular file", [](const QString& p) { return QDir().mkdir(p); }, notInFolder});
    c.push_back({"over-16-mib", {}, "(16 MiB)",
                 [](const QString& p) {
                     QFile f(p);
                     return f.open(QIODevice::WriteOnly) && f.resize(16 * 1024 * 1024 + 1);
                 },
                 {}});
    c.push_back({"over-16-mib-json", {}, "(16 MiB)",
                 [](const QString& p) {
                     QFile f(p); // valid JSON all the way: the size decides, not the parser
                     const QByteArray spaces(1024 * 1024, ' ');
                     if (!f.open(QIODevice::WriteOnly) || f.write(kValid.left(kValid.size() - 1)) < 0)
                         return false;
                     for (int i = 0; i < 17; ++i)
                         if (f.write(spaces) != spaces.size())
                             return false;
                     return f.write("}") == 1;
                 },
                 {}});
    return c;
}

} // namespace

class TestHostilePatchFiles : public QObject {
    Q_OBJECT

private slots:
    void everyMalformedFileGetsItsOwnErrorAndServeStaysUp();
};

void TestHostilePatchFiles::everyMalformedFileGetsItsOwnErrorAndServeStaysUp() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString patches = dir.filePath("patches");
    QVERIFY(QDir().mkpath(patches));

    ServeProcess serve;
    const std::string why = serve.start({}, patches);
    QVERIFY2(why.empty(), why.c_str());
    // Something plays and something is pending, so "untouched" means something.
    for (const OscReply& r : {serve.ask("/patch/create", OscMessage().s("osc1").s("sine")),
                              serve.ask("/patch/connect", OscMessage().s("osc1").s("out")), serve.ask("/patch/commit"),
                              serve.ask("/patch/create", OscMessage().s("pend1").s("saw"))})
        QVERIFY2(r.isReply(), r.describe().constData());
    const auto before = serve.dump();
    QVERIFY(!before.first.empty() && before.first != before.second);
    const long long rssBefore = serve.rssKiB();

    std::vector<Case> cases = corpus();
    // The fuzzer's finds, replayed: each is either loaded or refused with a message, never a crash.
    const QDir finds(QStringLiteral(CHRONUS_TEST_DATA_DIR "/fuzz-corpus"));
    int findsCount = 0;
    for (const QFileInfo& f : finds.entryInfoList(QDir::Files, QDir::Name)) {
        QFile file(f.filePath());
        QVERIFY(file.open(QIODevice::ReadOnly));
        cases.push_back({"find-" + f.completeBaseName(), file.readAll(), {}, {}, {}});
        ++findsCount;
    }
    qInfo("%zu files: %zu made here, %d from tests/data/fuzz-corpus", cases.size(), cases.size() - static_cast<std::size_t>(findsCount), findsCount);
    QVERIFY(cases.size() >= 54 + static_cast<std::size_t>(findsCount));

    QStringList problems;
    for (const Case& k : cases) {
        const QString file = patches + "/" + k.name + ".json";
        if (k.make) {
            QVERIFY2(k.make(file), qPrintable(k.name));
        } else {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QCOMPARE(f.write(k.bytes), k.bytes.size());
        }
        const bool loads = k.expect == kLoads;
        const bool find = k.expect.isEmpty() || loads; // a replayed find: loaded or refused, either is right
        const QString inFolder = k.expectInFolder.isEmpty() ? k.expect : k.expectInFolder;

        // 1. render: exit 1 and one error line naming the file; no WAV written.
        const QString wav = dir.filePath("x.wav");
        QFile::remove(wav);
        const RunResult render = runChronus({"render", file, "--seconds", "0.05", "--out", wav});
        if (!find && (render.exitCode != 1 || !render.err.contains(k.expect) || !render.err.startsWith("chronus render: ") ||
                      QFileInfo::exists(wav)))
            problems << QStringLiteral("%1: render exited %2: %3").arg(k.name).arg(render.exitCode).arg(render.err.left(300));
        if (find && (loads ? render.exitCode != 0 : render.exitCode != 0 && render.exitCode != 1))
            problems << QStringLiteral("%1: render exited %2: %3").arg(k.name).arg(render.exitCode).arg(render.err.left(300));

        if (hasControlCharacters(render.err))
            problems << QStringLiteral("%1: render printed a control character: %2").arg(k.name, render.err.left(300).toHtmlEscaped());

        // 2. ctl load: exit 1 with the server's error.
        const RunResult load = serve.ctl({"load", k.name});
        if ((!find && (load.exitCode != 1 || !load.err.contains(inFolder))) || (loads && load.exitCode != 0))
            problems << QStringLiteral("%1: ctl load exited %2: %3").arg(k.name).arg(load.exitCode).arg(load.err.left(300));

        if (hasControlCharacters(load.err))
            problems << QStringLiteral("%1: ctl load printed a control character").arg(k.name);

        // 3. /patch/load over OSC: an /error with the same message.
        const OscReply r = serve.ask("/patch/load", OscMessage().s(k.name.toStdString()));
        if (!find && (!r.isError() || r.errorText().find(inFolder.toStdString()) == std::string::npos))
            problems << QStringLiteral("%1: /patch/load: %2").arg(k.name, QString::fromUtf8(r.describe().left(300)));
        if (find && (loads ? !r.isReply() : !r.isError() && !r.isReply()))
            problems << QStringLiteral("%1: /patch/load: %2").arg(k.name, QString::fromUtf8(r.describe().left(300)));
        if (find && r.isReply())
            QVERIFY2(serve.ask("/patch/abort").isReply(), qPrintable(k.name)); // back to the pending patch of before...
        if (find && r.isReply())
            QVERIFY2(serve.ask("/patch/create", OscMessage().s("pend1").s("saw")).isReply(), qPrintable(k.name));

        // serve answers, and neither patch changed.
        if (!serve.running())
            QFAIL(qPrintable(k.name + ": serve is gone; stderr:\n" + serve.err().right(3000)));
        const auto after = serve.dump();
        if (after != before)
            problems << QStringLiteral("%1: the patches changed (or serve did not answer /patch/dump)").arg(k.name);
        if (!k.make)
            QFile::remove(file);
    }
    // What parsing the big files (10^6 modules, 20,000 cables, 100,000 digits) took is given back
    // or reused, not kept per file.
    const long long rssAfter = serve.rssKiB();
    qInfo("serve's resident memory: %lld KiB before the files, %lld KiB after", rssBefore, rssAfter);
    VERIFY_RSS_GROWTH(rssAfter - rssBefore, kRssBoundKiB, "after every file was loaded twice");
    for (const QString& p : problems)
        qWarning("%s", qPrintable(p));
    QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("%1 problems (above)").arg(problems.size())));

    // A plain, valid file still loads, and the server's counters saw every request.
    QFile good(patches + "/good.json");
    QVERIFY(good.open(QIODevice::WriteOnly));
    good.write(kValid);
    good.close();
    const OscReply loaded = serve.ask("/patch/load", OscMessage().s("good"));
    QVERIFY2(loaded.isReply(), loaded.describe().constData());
    STOP_SERVE_CLEANLY(serve);
}

QTEST_GUILESS_MAIN(TestHostilePatchFiles)
#include "tst_hostile_patch_files.moc"
