// The documents against the protocol table (src/app/Protocol.cpp): README.md's table of OSC
// addresses, `chronus ctl --help`'s verbs and the man page's verbs list exactly the table's entries,
// each once, with the table's arguments, reply field names and ctl synopsis. A row missing, extra,
// doubled or different fails, so the documents cannot drift from what the server does.
//
// How each is read: README.md between <!-- osc-table:begin --> and <!-- osc-table:end -->, one row
// per address, the backticked words of a cell being what counts (`\|` stands for `|`); the help's
// lines after "Verbs:" that start with two spaces, up to the first blank line, each a synopsis
// (followed by two spaces and its text, or alone on its line); the man page's `.TP` entries after
// "The verbs:" in the ctl section, the line after `.TP` rendered as roff renders it (the arguments
// of .B/.BI/.BR joined, quotes and font escapes dropped, \- as -).

#include "app/Protocol.hpp"

#include <QFile>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>

namespace protocol = chronus::app::protocol;

namespace {

QString readSource(const char* relative) {
    QFile f(QStringLiteral(CHRONUS_SOURCE_DIR "/") + QLatin1String(relative));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

QStringList backticked(const QString& cell) {
    QStringList out;
    static const QRegularExpression token(QStringLiteral("`([^`]+)`"));
    for (auto it = token.globalMatch(cell); it.hasNext();)
        out << it.next().captured(1).replace(QStringLiteral("\\|"), QStringLiteral("|"));
    return out;
}

// A markdown row's cells: split at '|' not preceded by a backslash.
QStringList cells(const QString& row) {
    QStringList out;
    QString cell;
    for (qsizetype i = 0; i < row.size(); ++i) {
        if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) {
            out << cell.trimmed();
            cell.clear();
        } else {
            cell += row[i];
        }
    }
    out << cell.trimmed();
    if (!out.isEmpty() && out.first().isEmpty())
        out.removeFirst();
    if (!out.isEmpty() && out.last().isEmpty())
        out.removeLast();
    return out;
}

QStringList tableSynopses() {
    QStringList out;
    for (const protocol::Command& c : protocol::commands())
        out << QString::fromStdString(protocol::synopsis(c));
    return out;
}

// Every entry once: names what is missing, extra or doubled.
void compareLists(QStringList found, QStringList expected, const char* where) {
    QStringList problems;
    for (const QString& e : std::as_const(expected))
        if (found.count(e) == 0)
            problems << "missing: " + e;
        else if (found.count(e) > 1)
            problems << "listed " + QString::number(found.count(e)) + " times: " + e;
    for (const QString& f : std::as_const(found))
        if (!expected.contains(f) && !problems.contains("extra: " + f))
            problems << "extra: " + f;
    QVERIFY2(problems.isEmpty(), qPrintable(QString::fromLatin1(where) + ": " + problems.join("; ")));
}

// One roff line as man renders its text: the macro dropped, its arguments joined (quoted ones as
// one), font escapes dropped, \- as a hyphen.
QString roffText(const QString& line) {
    QString text;
    bool quoted = false;
    bool first = true; // the macro
    QString word;
    const auto flush = [&] {
        if (!first)
            text += word;
        first = false;
        word.clear();
    };
    for (const QChar c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == ' ' && !quoted) {
            if (!word.isEmpty() || first)
                flush();
        } else {
            word += c;
        }
    }
    flush();
    static const QRegularExpression font(QStringLiteral("\\\\f[BIRP]"));
    return text.remove(font).replace(QStringLiteral("\\-"), QStringLiteral("-"));
}

} // namespace

class TestProtocolDocs : public QObject {
    Q_OBJECT

private slots:
    void readmeTableIsTheProtocolTable();
    void ctlHelpListsEveryVerb();
    void manPageListsEveryVerb();
    void roffTextJoinsArguments();
};

void TestProtocolDocs::readmeTableIsTheProtocolTable() {
    const QString readme = readSource("README.md");
    QVERIFY2(!readme.isEmpty(), "cannot read README.md");
    const qsizetype begin = readme.indexOf(QLatin1String("<!-- osc-table:begin -->"));
    const qsizetype end = readme.indexOf(QLatin1String("<!-- osc-table:end -->"));
    QVERIFY2(begin >= 0 && end > begin, "README.md has no <!-- osc-table:begin/end --> markers");
    QMap<QString, QStringList> rows; // address -> its cells
    QStringList addresses;
    for (const QString& line : readme.mid(begin, end - begin).split('\n')) {
        if (!line.startsWith(QLatin1String("| `")))
            continue; // the heading, the separator
        const QStringList c = cells(line);
        QVERIFY2(c.size() == 5, qPrintable("a row without 5 cells: " + line));
        const QStringList address = backticked(c[0]);
        QVERIFY2(address.size() == 1, qPrintable("a row without one address: " + line));
        addresses << address.first();
        rows[address.first()] = c;
    }
    QStringList expected;
    for (const protocol::Command& c : protocol::commands())
        expected << QString::fromUtf8(c.address);
    compareLists(addresses, expected, "README.md's OSC table");
    if (QTest::currentTestFailed())
        return;
    for (const protocol::Command& c : protocol::commands()) {
        const QStringList row = rows.value(QString::fromUtf8(c.address));
        const QString where = QStringLiteral("README.md's row for %1: ").arg(QString::fromUtf8(c.address));
        QStringList args;
        for (const protocol::Arg& a : c.args)
            args << QString::fromUtf8(a.name);
        QVERIFY2(backticked(row[1]) == args, qPrintable(where + "arguments " + backticked(row[1]).join(", ") +
                                                        ", the table has " + args.join(", ")));
        QStringList fields;
        for (const protocol::Field& f : c.reply)
            fields << QString::fromUtf8(f.name);
        for (const protocol::Field& f : c.optionReply)
            fields << QString::fromUtf8(f.name);
        QVERIFY2(backticked(row[2]) == fields,
                 qPrintable(where + "reply fields " + backticked(row[2]).join(", ") + ", the table has " +
                            fields.join(", ")));
        const QString synopsis = QString::fromStdString(protocol::synopsis(c));
        QVERIFY2(backticked(row[3]) == QStringList{synopsis},
                 qPrintable(where + "ctl " + backticked(row[3]).join(" ") + ", the table has " + synopsis));
        QVERIFY2(!row[4].isEmpty(), qPrintable(where + "no meaning"));
    }
}

void TestProtocolDocs::ctlHelpListsEveryVerb() {
    QProcess p;
    p.start(QStringLiteral(CHRONUS_BINARY), {"ctl", "--help"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QStringList lines = QString::fromUtf8(p.readAllStandardOutput()).split('\n');
    const qsizetype verbs = lines.indexOf(QStringLiteral("Verbs:"));
    QVERIFY2(verbs >= 0, "ctl --help has no \"Verbs:\" line");
    QStringList found;
    static const QRegularExpression entry(QStringLiteral("^  (\\S.*?)(?:  +\\S.*)?$"));
    for (qsizetype i = verbs + 1; i < lines.size() && !lines[i].trimmed().isEmpty(); ++i)
        if (const QRegularExpressionMatch m = entry.match(lines[i]); m.hasMatch())
            found << m.captured(1);
    compareLists(found, tableSynopses(), "chronus ctl --help's verbs");
}

void TestProtocolDocs::manPageListsEveryVerb() {
    const QString man = readSource("packaging/chronus.1");
    QVERIFY2(!man.isEmpty(), "cannot read packaging/chronus.1");
    const qsizetype section = man.indexOf(QLatin1String(".SS \"chronus ctl"));
    const qsizetype begin = man.indexOf(QLatin1String("The verbs:"), section);
    QVERIFY2(section >= 0 && begin > section, "the man page has no ctl section with \"The verbs:\"");
    const qsizetype end = man.indexOf(QLatin1String("\n.SS "), begin);
    const QStringList lines = man.mid(begin, end - begin).split('\n');
    QStringList found;
    for (qsizetype i = 0; i + 1 < lines.size(); ++i)
        if (lines[i] == QLatin1String(".TP"))
            found << roffText(lines[i + 1]);
    compareLists(found, tableSynopses(), "packaging/chronus.1's verbs");
}

void TestProtocolDocs::roffTextJoinsArguments() {
    QCOMPARE(roffText(R"(.BI create " ID TYPE " "[" "ID TYPE" " ...]")"),
             QStringLiteral("create ID TYPE [ID TYPE ...]"));
    QCOMPARE(roffText(R"(.BR gate " \fIID\fP " on | off)"), QStringLiteral("gate ID on|off"));
    QCOMPARE(roffText(R"(.B "record stop")"), QStringLiteral("record stop"));
    QCOMPARE(roffText(R"(.BR status " [" \-\-watch "]")"), QStringLiteral("status [--watch]"));
}

QTEST_GUILESS_MAIN(TestProtocolDocs)
#include "tst_protocol_docs.moc"
