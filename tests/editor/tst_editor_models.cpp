// The editor's item models on their own (no engine, no QML): every one through
// QAbstractItemModelTester, and the narrow signals the canvas relies on.

#include "CableLayerItem.hpp"
#include "CardGeometry.hpp"
#include "FolderModel.hpp"
#include "GraphModels.hpp"
#include "GridItem.hpp"
#include "ParamBarItem.hpp"
#include "PaletteModel.hpp"
#include "PatchLayout.hpp"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>

using namespace chronus;
using chronus::editor::CableLayerItem;
using chronus::editor::CableModel;
using chronus::editor::CardGeometry;
using chronus::editor::FolderModel;
using chronus::editor::GridItem;
using chronus::editor::NodeModel;
using chronus::editor::PaletteModel;
using chronus::editor::ParamBarItem;
using chronus::editor::ParamModel;

class TestEditorModels : public QObject {
    Q_OBJECT

    static engine::PatchGraph twoModules() {
        engine::PatchGraph g;
        (void)g.addModule("saw1", "saw");
        (void)g.addModule("svf1", "svf");
        (void)g.connect("saw1", "svf1.in");
        (void)g.connect("svf1.lp", "out");
        return g;
    }

private slots:
    void paletteListsEveryTypeButTheOutput() {
        PaletteModel palette;
        QAbstractItemModelTester tester(&palette, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(palette.count() >= 20);
        for (int row = 0; row < palette.count(); ++row)
            QVERIFY(palette.typeAt(row) != QLatin1String("output"));
        // Grouped: every category is one run of rows.
        QStringList seen;
        QString last;
        for (int row = 0; row < palette.count(); ++row) {
            const QString cat = palette.data(palette.index(row), PaletteModel::CategoryRole).toString();
            if (cat != last) {
                QVERIFY2(!seen.contains(cat), qPrintable("category split: " + cat));
                seen << cat;
                last = cat;
            }
        }
    }

    void paletteFilterPutsTheTypedNameFirstAndKnowsAliases() {
        PaletteModel palette;
        QAbstractItemModelTester tester(&palette, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy count(&palette, &PaletteModel::countChanged);
        palette.setFilter(QStringLiteral("saw"));
        QCOMPARE(palette.typeAt(0), QStringLiteral("saw"));
        QVERIFY(count.count() >= 1);
        palette.setFilter(QStringLiteral("acid"));
        QCOMPARE(palette.typeAt(0), QStringLiteral("ladder"));
        palette.setFilter(QStringLiteral("reverberation-that-does-not-exist"));
        QCOMPARE(palette.count(), 0);
        palette.setFilter({});
        QVERIFY(palette.count() >= 20);
    }

    void nodesAndCablesFollowThePatchWithMarks() {
        NodeModel nodes;
        CableModel cables;
        QAbstractItemModelTester t1(&nodes, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(&cables, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const engine::PatchGraph committed = twoModules();
        std::map<std::string, QPointF> pos{{"saw1", {10, 20}}, {"svf1", {300, 20}}};
        nodes.update(committed, committed, pos);
        cables.update(committed, committed);
        QCOMPARE(nodes.count(), 3); // out, saw1, svf1
        QCOMPARE(cables.count(), 3); // saw->svf, svf->out.left, svf->out.right
        QCOMPARE(nodes.get(nodes.rowOf("saw1")).value("pending").toString(), QString());
        QCOMPARE(nodes.get(nodes.rowOf("saw1")).value("x").toDouble(), 10.0);

        // Pending: saw1 removed, a new lfo, svf1's cutoff changed, a new cable.
        engine::PatchGraph pending = committed;
        QVERIFY(pending.removeModule("saw1").ok());
        QVERIFY(pending.addModule("lfo1", "lfo").ok());
        QVERIFY(pending.setParam("svf1", "cutoff", 321.0).ok());
        QVERIFY(pending.connect("lfo1", "svf1.cutoff").ok());
        nodes.update(pending, committed, pos);
        cables.update(pending, committed);
        QCOMPARE(nodes.get(nodes.rowOf("saw1")).value("pending").toString(), QStringLiteral("removed"));
        QCOMPARE(nodes.get(nodes.rowOf("saw1")).value("removable").toBool(), false);
        QCOMPARE(nodes.get(nodes.rowOf("lfo1")).value("pending").toString(), QStringLiteral("added"));
        QCOMPARE(nodes.get(nodes.rowOf("svf1")).value("pending").toString(), QStringLiteral("changed"));
        QCOMPARE(nodes.get(nodes.rowOf("out")).value("removable").toBool(), false);
        int added = 0, removed = 0;
        for (int row = 0; row < cables.count(); ++row) {
            const QString mark = cables.get(row).value("pending").toString();
            added += mark == QLatin1String("added");
            removed += mark == QLatin1String("removed");
        }
        QCOMPARE(added, 1);
        QCOMPARE(removed, 1); // saw1 -> svf1 goes with saw1

        // The changed parameter is marked on its own row.
        ParamModel* params = nodes.paramsOf("svf1");
        QVERIFY(params);
        QAbstractItemModelTester t3(params, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const int cutoff = params->rowOf("cutoff");
        QVERIFY(cutoff >= 0);
        QCOMPARE(params->data(params->index(cutoff), ParamModel::ValueRole).toDouble(), 321.0);
        QCOMPARE(params->data(params->index(cutoff), ParamModel::ChangedRole).toBool(), true);
        QCOMPARE(params->data(params->index(cutoff), ParamModel::DisplayRole).toString(), QStringLiteral("321 Hz"));
    }

    void aKnobTurnChangesOneRowAndKeepsTheNode() {
        NodeModel nodes;
        QAbstractItemModelTester tester(&nodes, QAbstractItemModelTester::FailureReportingMode::QtTest);
        engine::PatchGraph g = twoModules();
        nodes.update(g, g, {});
        ParamModel* params = nodes.paramsOf("svf1");
        QSignalSpy rowsRemoved(&nodes, &NodeModel::rowsRemoved);
        QSignalSpy rowsInserted(&nodes, &NodeModel::rowsInserted);
        QSignalSpy paramChanged(params, &ParamModel::dataChanged);
        QVERIFY(g.setParam("svf1", "cutoff", 2000.0).ok());
        nodes.update(g, g, {});
        QCOMPARE(rowsRemoved.count(), 0);
        QCOMPARE(rowsInserted.count(), 0);
        QCOMPARE(nodes.paramsOf("svf1"), params); // the delegate's knobs survive
        QCOMPARE(paramChanged.count(), 1);
        QCOMPARE(paramChanged.first().at(0).toModelIndex().row(), params->rowOf("cutoff"));
        QCOMPARE(params->data(params->index(params->rowOf("cutoff")), ParamModel::DisplayRole).toString(),
                 QStringLiteral("2.00 kHz"));
    }

    // An agent's edit on a big patch: the models find the rows it touched by key, and say only
    // what changed (one row in, one row's roles), every other row and its id as it was.
    void polyCablesSayHowManyChannelsTheyCarry() {
        CableModel cables;
        QAbstractItemModelTester tester(&cables, QAbstractItemModelTester::FailureReportingMode::QtTest);
        engine::PatchGraph g;
        QVERIFY(g.addModule("voices", "const").ok());
        QVERIFY(g.setText("voices", "values", "1 2 3").ok());
        QVERIFY(g.addModule("osc", "sine").ok());
        QVERIFY(g.addModule("amp", "vca").ok());
        QVERIFY(g.connect("osc", "amp.in").ok());
        QVERIFY(g.connect("voices", "amp.cv").ok());
        QVERIFY(g.connect("amp", "out").ok());
        cables.update(g, g);
        const auto channelsOf = [&](const char* from) {
            for (int row = 0; row < cables.count(); ++row)
                if (cables.get(row).value("fromId").toString() == QLatin1String(from))
                    return cables.data(cables.index(row), CableModel::ChannelsRole).toInt();
            return -1;
        };
        QCOMPARE(channelsOf("osc"), 1);
        QCOMPARE(channelsOf("voices"), 3);
        QCOMPARE(channelsOf("amp"), 3); // the vca runs as many voices as its widest input
        // Another count: only the rows whose count changed are signalled.
        QSignalSpy changed(&cables, &CableModel::dataChanged);
        engine::PatchGraph wider = g;
        QVERIFY(wider.setText("voices", "values", "1 2 3 4 5 6 7 8 9 10").ok());
        cables.update(wider, g);
        QCOMPARE(channelsOf("voices"), 10);
        QCOMPARE(channelsOf("amp"), 10);
        QCOMPARE(changed.count(), 3); // voices > amp.cv, amp > out.left, amp > out.right
        for (const QList<QVariant>& signal : changed)
            QCOMPARE(signal.at(2).value<QList<int>>(), QList<int>{CableModel::ChannelsRole});
    }

    void anEditOnABigPatchTouchesOnlyItsRows() {
        NodeModel nodes;
        CableModel cables;
        QAbstractItemModelTester t1(&nodes, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(&cables, QAbstractItemModelTester::FailureReportingMode::QtTest);
        engine::PatchGraph g;
        for (int i = 0; i < 120; ++i)
            QVERIFY(g.addModule("vca" + std::to_string(i), "vca").ok());
        for (int i = 0; i + 1 < 120; ++i)
            QVERIFY(g.connect("vca" + std::to_string(i), "vca" + std::to_string(i + 1) + ".in").ok());
        nodes.update(g, g, {});
        cables.update(g, g);
        QCOMPARE(nodes.count(), 121);
        QCOMPARE(cables.count(), 119);
        std::map<int, int> uidOfRow, cableIdOfRow;
        for (int row = 0; row < nodes.count(); ++row)
            uidOfRow[row] = nodes.get(row).value("uid").toInt();
        for (int row = 0; row < cables.count(); ++row)
            cableIdOfRow[row] = cables.get(row).value("cableId").toInt();

        QSignalSpy nodeChanged(&nodes, &NodeModel::dataChanged), nodeIn(&nodes, &NodeModel::rowsInserted),
            nodeOut(&nodes, &NodeModel::rowsRemoved), cableChanged(&cables, &CableModel::dataChanged),
            cableIn(&cables, &CableModel::rowsInserted), cableOut(&cables, &CableModel::rowsRemoved);
        engine::PatchGraph pending = g;
        QVERIFY(pending.addModule("lfo1", "lfo").ok());
        QVERIFY(pending.connect("lfo1", "vca50.cv").ok());
        nodes.update(pending, g, {});
        cables.update(pending, g);
        QCOMPARE(nodeIn.count(), 1);
        QCOMPARE(nodeOut.count(), 0);
        QCOMPARE(cableIn.count(), 1);
        QCOMPARE(cableOut.count(), 0);
        QCOMPARE(cableChanged.count(), 0);
        // vca50 has a cable into its cv now: its inputs changed, nothing else of it or of others.
        QCOMPARE(nodeChanged.count(), 1);
        QCOMPARE(nodeChanged.first().at(0).toModelIndex().row(), nodes.rowOf("vca50"));
        QCOMPARE(nodeChanged.first().at(2).value<QList<int>>(), QList<int>{NodeModel::InputsRole});
        for (const auto& [row, uid] : uidOfRow)
            QCOMPARE(nodes.get(row).value("uid").toInt(), uid);
        const int lfoUid = nodes.get(nodes.rowOf("lfo1")).value("uid").toInt();
        QVERIFY(std::none_of(uidOfRow.begin(), uidOfRow.end(), [&](const auto& e) { return e.second == lfoUid; }));
        QCOMPARE(nodes.rowOfUid(lfoUid), nodes.rowOf("lfo1"));
        QCOMPARE(nodes.pendingCount(), 1);
        QCOMPARE(cables.pendingCount(), 1);

        // A module in the middle goes (pending): its row becomes a ghost's; the rows after it keep
        // their ids and are found at their new rows.
        nodeChanged.clear();
        nodeIn.clear();
        QVERIFY(pending.removeModule("vca60").ok());
        nodes.update(pending, g, {});
        cables.update(pending, g);
        QCOMPARE(nodeOut.count(), 1);
        QCOMPARE(nodeIn.count(), 1); // the ghost
        QVERIFY(nodes.isGhost(nodes.rowOf("vca60")));
        QCOMPARE(nodes.get(nodes.rowOf("vca61")).value("uid").toInt(), uidOfRow[62]);
        QCOMPARE(nodes.rowOfUid(lfoUid), nodes.rowOf("lfo1"));
        QCOMPARE(nodes.pendingCount(), 2); // lfo1 added, vca60's ghost
        QCOMPARE(cables.pendingCount(), 3); // lfo1 -> vca50 added; vca59 -> vca60, vca60 -> vca61 removed
        // Cables are named by their id: the one into vca50's cv, and its row.
        const int lfoCable = cables.cableInto(QStringLiteral("vca50"), QStringLiteral("cv"));
        QVERIFY(lfoCable > 0);
        QCOMPARE(cables.get(cables.rowOfCable(lfoCable)).value("fromId").toString(), QStringLiteral("lfo1"));
        QCOMPARE(cables.cableInto(QStringLiteral("vca61"), QStringLiteral("in")), -1); // a ghost feeds nothing
        QCOMPARE(cables.rowOfCable(987654), -1);
        for (const auto& [row, id] : cableIdOfRow)
            if (row < 59) // before vca59 -> vca60, nothing moved
                QCOMPARE(cables.get(row).value("cableId").toInt(), id);
    }

    // The one layout algorithm (Arrange): a column per step of signal flow, sources left, each
    // column stacked by the cards' heights in the order the cards had, on the grid.
    void arrangeByFlowPutsEachModuleRightOfWhatFeedsIt() {
        engine::PatchGraph g;
        QVERIFY(g.addModule("lfo1", "lfo").ok());
        QVERIFY(g.addModule("saw1", "saw").ok());
        QVERIFY(g.addModule("saw2", "saw").ok());
        QVERIFY(g.addModule("vca1", "vca").ok());
        QVERIFY(g.connect("lfo1", "saw1.fm").ok());
        QVERIFY(g.connect("saw1", "vca1.in").ok());
        QVERIFY(g.connect("saw2", "vca1.cv").ok());
        QVERIFY(g.connect("vca1", "out").ok());
        const std::map<std::string, QPointF> now{{"saw2", {0, 0}}, {"lfo1", {0, 500}}, {"saw1", {0, 900}}};
        auto size = [](const engine::PatchNode& n) { return QSizeF(196, n.id == "saw2" ? 105 : 60); };
        const std::map<std::string, QPointF> placed = editor::arrangeByFlow(g, size, now);
        QCOMPARE(placed.size(), g.nodes().size());
        const double column = std::ceil((CardGeometry::kNodeWidth + 90.0) / 20.0) * 20.0;
        QCOMPARE(placed.at("lfo1"), QPointF(40, 180)); // column 0, under saw2 (105 + 30, up to the grid)
        QCOMPARE(placed.at("saw2"), QPointF(40, 40));
        QCOMPARE(placed.at("saw1"), QPointF(40 + column, 40));     // fed by lfo1
        QCOMPARE(placed.at("vca1"), QPointF(40 + 2 * column, 40)); // fed by saw1
        QCOMPARE(placed.at("out"), QPointF(40 + 3 * column, 40));
        for (const auto& [id, p] : placed) { // on the grid
            QCOMPARE(std::fmod(p.x(), 20.0), 0.0);
            QCOMPARE(std::fmod(p.y(), 20.0), 0.0);
        }
    }

    void sequencerStepsAreTextNotKnobs() {
        NodeModel nodes;
        engine::PatchGraph g;
        QVERIFY(g.addModule("seq1", "sequencer").ok());
        QVERIFY(g.setText("seq1", "pattern", "x..X").ok());
        nodes.update(g, g, {});
        const QVariantMap row = nodes.get(nodes.rowOf("seq1"));
        const QVariantList texts = row.value("texts").toList();
        QCOMPARE(texts.size(), 2);
        QCOMPARE(texts[0].toMap().value("id").toString(), QStringLiteral("pattern"));
        QCOMPARE(texts[0].toMap().value("value").toString(), QStringLiteral("x..X"));
        ParamModel* params = nodes.paramsOf("seq1");
        QVERIFY(params->rowCount() > 0);
        QVERIFY(params->rowCount() < 20); // not 64 steps x 3
    }

    void selectionChangesOnlyTheRowsThatChanged() {
        NodeModel nodes;
        QAbstractItemModelTester tester(&nodes, QAbstractItemModelTester::FailureReportingMode::QtTest);
        engine::PatchGraph g = twoModules();
        nodes.update(g, g, {});
        QSignalSpy changed(&nodes, &NodeModel::dataChanged);
        nodes.setSelection({"saw1"});
        QCOMPARE(changed.count(), 1);
        nodes.setSelection({"saw1", "svf1"});
        QCOMPARE(changed.count(), 2);
        QCOMPARE(nodes.selectedCount(), 2);
        nodes.setSelection({"nonexistent"});
        QCOMPARE(nodes.selectedCount(), 0);
    }

    // The cable picture (no GPU): each cable from its output port to its input port, in its
    // signal's colour; the selected one with a halo; a selected node's cables left to their items.
    void cablePicturePaintsEachCableBetweenItsPorts() {
        NodeModel nodes;
        CableModel cables;
        engine::PatchGraph g;
        (void)g.addModule("saw1", "saw");
        (void)g.addModule("vca1", "vca");
        (void)g.connect("saw1", "vca1.in");
        std::map<std::string, QPointF> pos{{"saw1", {0, 0}}, {"vca1", {400, 100}}, {"out", {800, 0}}};
        nodes.update(g, g, pos);
        cables.update(g, g);
        CableLayerItem layer;
        layer.setNodes(&nodes);
        layer.setCables(&cables);
        const QColor audio(0x4f, 0xc3, 0xf7);
        layer.setProperty("audioColor", audio);
        // saw1.out (row 0) at (196, 48), vca1.in (row 0) at (400, 148): the curve's middle is
        // halfway, at (298, 98); its ends leave and arrive horizontally. CardGeometry says where
        // ports are, for the cards and this picture alike.
        QCOMPARE(CardGeometry::kNodeWidth, 196);
        QCOMPARE(CardGeometry::portY(0), 48.0);
        auto paint = [&] {
            QImage image(600, 300, QImage::Format_ARGB32_Premultiplied);
            image.fill(Qt::transparent);
            layer.paintCables(image, QRectF(0, 0, 600, 300), 1.0);
            return image;
        };
        auto near = [](const QImage& image, int x, int y, const QColor& c) {
            for (int dy = -2; dy <= 2; ++dy) {
                const QColor p = image.pixelColor(x, y + dy);
                if (p.alpha() > 200 && std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) + std::abs(p.blue() - c.blue()) < 40)
                    return true;
            }
            return false;
        };
        QImage image = paint();
        QVERIFY(near(image, 298, 98, audio));
        QVERIFY(near(image, 201, 48, audio));
        QVERIFY(near(image, 395, 148, audio));
        QCOMPARE(image.pixelColor(298, 58).alpha(), 0); // nothing but the cable
        QCOMPARE(image.pixelColor(100, 200).alpha(), 0);
        // At half the zoom, everything at half the place.
        QImage half(300, 150, QImage::Format_ARGB32_Premultiplied);
        half.fill(Qt::transparent);
        layer.paintCables(half, QRectF(0, 0, 600, 300), 0.5);
        QVERIFY(near(half, 149, 49, audio));

        layer.setSelectedCable(cables.cableInto(QStringLiteral("vca1"), QStringLiteral("in")));
        image = paint();
        const QColor halo = image.pixelColor(298, 102); // beside the line, inside the 8-px halo
        QVERIFY2(halo.alpha() > 60 && halo.red() > halo.blue(), qPrintable(halo.name(QColor::HexArgb)));
        layer.setSelectedCable(-1);

        nodes.setSelection({"vca1"});
        image = paint();
        QCOMPARE(image.pixelColor(298, 98).alpha(), 0); // the selected node's cable draws itself
    }

    // The canvas grid: background, then a line every `minor` pixels, every fifth a major one.
    void gridPaintsItsLattice() {
        GridItem grid;
        grid.setSize(QSizeF(203, 101));
        grid.setMinor(20);
        grid.setMajorEvery(5);
        const QColor bg(0x1e, 0x1f, 0x24), minor(0x24, 0x25, 0x2b), major(0x2c, 0x2d, 0x34);
        grid.setBackground(bg);
        grid.setMinorColor(minor);
        grid.setMajorColor(major);
        QImage image(203, 101, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::magenta);
        {
            QPainter painter(&image);
            grid.paint(&painter);
        }
        QCOMPARE(image.pixelColor(10, 10), bg);             // inside a cell
        QCOMPARE(image.pixelColor(0, 10), major);           // line 0 is major
        QCOMPARE(image.pixelColor(20, 10), minor);          // line 1
        QCOMPARE(image.pixelColor(100, 10), major);         // line 5
        QCOMPARE(image.pixelColor(10, 40), minor);          // a horizontal line
        QCOMPARE(image.pixelColor(10, 100), major);         // the last row: line 5
        QCOMPARE(image.pixelColor(202, 99), bg);            // the far corner of the last cell
        for (int y = 0; y < image.height(); ++y) // every pixel painted, none left magenta
            for (int x = 0; x < image.width(); ++x)
                QVERIFY(image.pixelColor(x, y) != QColor(Qt::magenta));
        // Zoomed out: a coarser lattice, all major.
        grid.setMinor(7.5);
        grid.setMajorEvery(1);
        {
            QPainter painter(&image);
            grid.paint(&painter);
        }
        QCOMPARE(image.pixelColor(8, 4), major); // round(7.5) = 8
        QCOMPARE(image.pixelColor(4, 4), bg);
    }

    // The file dialog's listing: folders first, then the patches, each by name; other files hidden.
    void folderModelListsFoldersThenPatches() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        for (const char* name : {"b.json", "A.json", "notes.txt"}) {
            QFile f(dir.filePath(QString::fromUtf8(name)));
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("zfolder")));
        FolderModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setNameFilters({QStringLiteral("*.json")});
        model.setFolder(dir.path());
        QCOMPARE(model.count(), 3);
        QCOMPARE(model.get(0).value("fileName").toString(), QStringLiteral("zfolder"));
        QVERIFY(model.get(0).value("isDir").toBool());
        QCOMPARE(model.get(1).value("fileName").toString(), QStringLiteral("A.json"));
        QCOMPARE(model.get(2).value("fileName").toString(), QStringLiteral("b.json"));
        QCOMPARE(model.get(2).value("filePath").toString(), dir.filePath(QStringLiteral("b.json")));
        QCOMPARE(model.rowOf(QStringLiteral("b.json")), 2);
        model.setFolder(dir.filePath(QStringLiteral("missing")));
        QCOMPARE(model.count(), 0);
    }

    // A typed name: relative to the folder; an absolute path is that path (Qt 6.4's QML FileDialog
    // made "DIR//DIR/x.json" of it); ~ is the home folder.
    void folderModelResolvesTypedNames() {
        FolderModel model;
        model.setFolder(QStringLiteral("/tmp/chronus-patches"));
        QCOMPARE(model.resolve(QStringLiteral("mypatch")), QStringLiteral("/tmp/chronus-patches/mypatch"));
        QCOMPARE(model.resolve(QStringLiteral(" sub/../b.json ")), QStringLiteral("/tmp/chronus-patches/b.json"));
        QCOMPARE(model.resolve(QStringLiteral("/tmp/chronus-patches/mypatch.json")),
                 QStringLiteral("/tmp/chronus-patches/mypatch.json"));
        QCOMPARE(model.resolve(QStringLiteral("~/x.json")), QDir::homePath() + QStringLiteral("/x.json"));
        QCOMPARE(model.resolve(QStringLiteral("  ")), QString());
        QCOMPARE(FolderModel::withSuffix(QStringLiteral("/a/b"), QStringLiteral("json")), QStringLiteral("/a/b.json"));
        QCOMPARE(FolderModel::withSuffix(QStringLiteral("/a/b.JSON"), QStringLiteral("json")), QStringLiteral("/a/b.JSON"));
        QCOMPARE(FolderModel::parentFolder(QStringLiteral("/a/b.json")), QStringLiteral("/a"));
        QCOMPARE(FolderModel::parentFolder(QStringLiteral("/")), QString());
    }

    // A bar's value edge: a full-height line in the clear, but never drawn through the name or
    // the value ("Attac|k"): there it is two notches above and below the text.
    void paramBarEdgeStaysOutOfItsLabels() {
        ParamBarItem bar;
        bar.setSize(QSizeF(180, 18));
        bar.setName(QStringLiteral("Attack"));
        bar.setDisplay(QStringLiteral("5.00 ms"));
        const auto edgeRows = [&bar](double fraction) {
            bar.setFraction(fraction);
            QImage image(180, 18, QImage::Format_ARGB32);
            image.fill(Qt::black);
            QPainter painter(&image);
            bar.paint(&painter);
            painter.end();
            // The accent edge: strong red, little blue (the text is grey, the fill a dim orange).
            const int x = static_cast<int>(std::round(fraction * 180)) + 1;
            QList<bool> rows;
            for (int y = 0; y < 18; ++y) {
                const QColor c = image.pixelColor(x, y);
                rows << (c.red() > 200 && c.blue() < 110 && c.green() < 170);
            }
            return rows;
        };
        const QList<bool> clear = edgeRows(0.5); // between "Attack" and "5.00 ms"
        QVERIFY2(!clear.contains(false), "full height in the clear");
        for (double f : {20.0 / 180, 30.0 / 180, 150.0 / 180}) { // through "Attack", then "5.00 ms"
            const QList<bool> rows = edgeRows(f);
            QVERIFY2(rows.first() && rows.last(), "the notches mark the value");
            for (int y = 6; y <= 11; ++y)
                QVERIFY2(!rows[y], qPrintable(QStringLiteral("no edge through the text at f=%1, row %2").arg(f).arg(y)));
        }
    }
};

QTEST_MAIN(TestEditorModels)
#include "tst_editor_models.moc"
