package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.math.CircleBase;
import org.mflowhpc.testutil.Fields;

/**
 * MultiscaleFlow specifics beyond the shared model contract: the exact 2D U(1) and SU(3) log p by level (summed: -S - log Z,
 * on configurations the model did not make), the coarse and base_start options.
 */
class MultiscaleFlowTest {
    static final CpuBackend BE = new CpuBackend(2);
    static final long SEED = Fields.freshSeed();

    @Test void exactLevelsSumToMinusActionMinusLogZOnForeignConfigurations() {
        for (int coarse : new int[] {1, 2}) {
            Lattice lat = new Lattice(8, 4);
            double beta = 1.3;
            MultiscaleFlow m = (MultiscaleFlow) Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("coarse", coarse), 3);
            int nb = 3, np = m.levelParts();
            GaugeField u = Fields.haar(BE, Group.U1, lat, nb, SEED + coarse);
            double[] p = new double[nb * np];
            m.exactLogPByLevel(beta, u, p);
            Buffer s = BE.alloc(nb);
            BE.action(u, beta, s, 0);
            double[] act = BE.download(s);
            double logZ = Exact2D.u1LogZ(beta, lat.volume);
            for (int b = 0; b < nb; b++) {
                double sum = 0;
                for (int j = 0; j < np; j++) sum += p[b * np + j];
                assertEquals(-act[b] - logZ, sum, 1e-9, "coarse=" + coarse + " b=" + b + " seed=" + SEED);
                if (coarse == 1) assertEquals(0.0, p[b * np], 1e-12, "the 1x1 prior is exact Haar");
            }
        }
    }

    @Test void exactSu3LevelsSumToMinusActionMinusLogZOnForeignConfigurations() {
        Lattice lat = new Lattice(4, 8);
        double beta = 4.0;
        MultiscaleFlow m = (MultiscaleFlow) Models.create("multiscale", BE, Group.SU3, lat, beta, Map.of(), 3);
        int nb = 3, np = m.levelParts();
        GaugeField u = Fields.haar(BE, Group.SU3, lat, nb, SEED + 7);
        for (int k = 0; k < 2; k++) BE.heatbath(u, beta, SEED, k);
        double[] p = new double[nb * np];
        m.exactLogPByLevel(beta, u, p);
        Buffer s = BE.alloc(nb);
        BE.action(u, beta, s, 0);
        double[] act = BE.download(s);
        double logZ = new org.mflowhpc.observable.exact.SU3Characters(beta).logZ(lat.volume);
        for (int b = 0; b < nb; b++) {
            double sum = 0;
            for (int j = 0; j < np; j++) sum += p[b * np + j];
            assertEquals(-act[b] - logZ, sum, 1e-8 * Math.abs(act[b]), "b=" + b + " seed=" + SEED);
            assertTrue(Double.isFinite(p[b * np]) && p[b * np + np - 1] == 0);
        }
    }

    @Test void coarseOneIsRefusedForSu3AndWithPriorLayers() {
        Lattice lat = new Lattice(4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Models.create("multiscale", BE, Group.SU3, lat, 4.0, Map.of("coarse", 1), 0));
        assertTrue(e.getMessage().contains("not Haar distributed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", BE, Group.U1, lat, 1.0, Map.of("coarse", 1, "prior_layers", 2), 0));
        assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", BE, Group.U1, lat, 1.0, Map.of("coarse", 3), 0));
    }

    @Test void levelLayersDefaultToSliceMasksInThreeAndFourDimensionsAndOldCheckpointsKeepStandardMasks() {
        Lattice l4 = new Lattice(4, 4, 2, 2), l3 = new Lattice(4, 2, 4);
        MultiscaleFlow su3 = (MultiscaleFlow) Models.create("multiscale", BE, Group.SU3, l4, 3.0, Map.of(), 0);
        assertEquals("slice", su3.config().get("level_masks"));
        assertEquals(12, su3.config().get("level_layers"));
        MultiscaleFlow u1 = (MultiscaleFlow) Models.create("multiscale", BE, Group.U1, l3, 1.0, Map.of(), 0);
        assertEquals("slice", u1.config().get("level_masks"));
        assertEquals(8, u1.config().get("level_layers"));
        MultiscaleFlow two = (MultiscaleFlow) Models.create("multiscale", BE, Group.SU3, new Lattice(4, 4), 4.0, Map.of(), 0);
        assertEquals(0, two.config().get("level_layers"));
        assertEquals("standard", two.config().get("level_masks"));
        // a checkpoint written before level_masks existed names level_layers only (4 then, standard): the standard masks it was trained with
        MultiscaleFlow old = (MultiscaleFlow) Models.create("multiscale", BE, Group.U1, l3, 1.0, Map.of("level_layers", 4), 0);
        assertEquals("standard", old.config().get("level_masks"));
        assertNotEquals(u1.config(), old.config());
        // a model rebuilt from its own (checkpoint) config is the same model
        assertEquals(su3.config(), Models.create("multiscale", BE, Group.SU3, l4, 3.0, su3.config(), 0).config());
        for (MultiscaleFlow m : new MultiscaleFlow[] {u1, old})
            assertEquals(m.config(), Models.create("multiscale", BE, Group.U1, l3, 1.0, m.config(), 0).config());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Models.create("multiscale", BE, Group.SU3, new Lattice(4, 4), 4.0, Map.of("level_layers", 2, "level_masks", "slice"), 0));
        assertTrue(e.getMessage().contains("d >= 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", BE, Group.U1, l3, 1.0, Map.of("level_masks", "stripes"), 0));
    }

    @Test void su3DefaultsToThreeFramesAndCenterAloneIsTheOneFrameModelOfEarlierCheckpoints() {
        Lattice lat = new Lattice(4, 4);
        MultiscaleFlow three = (MultiscaleFlow) Models.create("multiscale", BE, Group.SU3, lat, 4.0, Map.of(), 0);
        assertEquals(java.util.List.of("midpoint", "staple", "backstaple"), three.config().get("frames"));
        // the previous default's checkpoints name their four frames and load as that model
        MultiscaleFlow four = (MultiscaleFlow) Models.create("multiscale", BE, Group.SU3, lat, 4.0,
                Map.of("frames", java.util.List.of("midpoint", "staple", "midpoint", "staple")), 0);
        assertEquals(java.util.List.of("midpoint", "staple", "midpoint", "staple"), four.config().get("frames"));
        assertTrue(three.params().size() < four.params().size());
        MultiscaleFlow one = (MultiscaleFlow) Models.create("multiscale", BE, Group.SU3, lat, 4.0, Map.of("center", "midpoint"), 0);
        assertFalse(one.config().containsKey("frames"), one.config().toString());
        assertTrue(one.params().size() < four.params().size());
        // a model rebuilt from its own (checkpoint) config is the same model
        for (MultiscaleFlow m : new MultiscaleFlow[] {one, three, four})
            assertEquals(m.config(), Models.create("multiscale", BE, Group.SU3, lat, 4.0, m.config(), 0).config());
        MultiscaleFlow u1 = (MultiscaleFlow) Models.create("multiscale", BE, Group.U1, lat, 2.0, Map.of(), 0);
        assertFalse(u1.config().containsKey("frames"), "U(1) keeps one frame: its 2D conditional is a function of W alone");
    }

    @Test void baseStartBareEqualsTheRecursionOnTheFinestLevelOnly() {
        Lattice lat = new Lattice(8, 8);
        double beta = 3.0;
        double[][] parts = new double[3][];
        String[] starts = {"rg", "bare", "flat"};
        int nb = 3;
        GaugeField u = Fields.haar(BE, Group.U1, lat, nb, SEED);
        MultiscaleFlow m = null;
        for (int i = 0; i < 3; i++) {
            m = (MultiscaleFlow) Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("base_start", starts[i]), 5);
            assertEquals(starts[i], m.config().get("base_start"));
            assertEquals(i == 0, m.config().get("analytic_init"));
            m.params().setValues(new double[m.params().size()]);
            parts[i] = new double[nb * m.levelParts()];
            m.logDensityByLevel(u, parts[i]);
        }
        int np = m.levelParts(), fine = np - 2;
        for (int b = 0; b < nb; b++) {
            assertEquals(parts[0][b * np + fine], parts[1][b * np + fine], 1e-12, "finest level (a = 1): beta_a = beta for both, seed=" + SEED);
            assertNotEquals(parts[0][b * np + fine - 1], parts[1][b * np + fine - 1], 1e-6, "the level below has a = 2");
            assertNotEquals(parts[1][b * np + fine], parts[2][b * np + fine], 1e-6, "flat differs");
        }
        assertEquals("mk", Models.create("multiscale", BE, Group.U1, lat, beta, Map.of(), 0).config().get("base_start"), "the U(1) default");
        assertEquals("bare", Models.create("multiscale", BE, Group.U1, new Lattice(4, 4, 4), beta, Map.of(), 0).config().get("base_start"), "the 3D default");
        assertEquals("mk", Models.create("multiscale", BE, Group.U1, new Lattice(2, 2, 2, 2), beta, Map.of(), 0).config().get("base_start"), "the 4D default");
        assertEquals("rg", Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("analytic_init", true), 0).config().get("base_start"));
        // mk is rg in 2D (no bond moving), level by level
        MultiscaleFlow mk = (MultiscaleFlow) Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("base_start", "mk"), 5);
        assertEquals(true, mk.config().get("analytic_init"));
        mk.params().setValues(new double[mk.params().size()]);
        double[] pm = new double[nb * np];
        mk.logDensityByLevel(u, pm);
        assertArrayEquals(parts[0], pm, 1e-12, "mk = rg in 2D");
        // in 4D: bond moving gives a^{(d-2)/2} beta before the decimation (a = 1: the bare coupling)
        assertEquals(CircleBase.effectiveCoupling(beta, 4), CircleBase.migdalKadanoffCoupling(beta, 4, 2), 1e-12);
        assertEquals(beta, CircleBase.migdalKadanoffCoupling(beta, 1, 4), 1e-9);
        double mk4 = CircleBase.migdalKadanoffCoupling(1.5, 4, 4);
        assertEquals(Math.pow(CircleBase.besselRatio(6.0), 4), CircleBase.besselRatio(mk4), 1e-10);
        assertTrue(mk4 > 1.5 && CircleBase.migdalKadanoffCoupling(1.5, 4, 3) < 1.5, "4D: narrower than bare; 3D: wider");
        // the old key still selects rg / flat; contradictions and SU(3) are refused in one line
        assertEquals("flat", Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("analytic_init", false), 0).config().get("base_start"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("analytic_init", true, "base_start", "bare"), 0));
        assertTrue(e.getMessage().contains("contradicts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", BE, Group.U1, lat, beta, Map.of("base_start", "mg"), 0));
        assertTrue(e.getMessage().contains("base_start"), e.getMessage());
        // SU(3) has base starts too (SU3BaseStartTest)
    }

    @Test void checkpointOfTheRemovedFirst2dModelIsRefusedInOneLine() {
        Map<String, Object> cfg = new java.util.LinkedHashMap<>(Map.of("beta", 2.0, "flow", "rqs8", "latent_flow", false));
        org.mflowhpc.io.Checkpoint ck = new org.mflowhpc.io.Checkpoint("multiscale", Group.U1, new Lattice(8, 8), 2.0, 10, cfg, "", Map.of(), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.fromCheckpoint(ck, BE));
        assertTrue(e.getMessage().contains("first 2D U(1) multiscale model") && e.getMessage().contains("retrain") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
