package org.mflowhpc.cli;

import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine;

/** mflow-hpc version from the build (java/resources-filtered/org/mflowhpc/version.properties). */
public final class Version implements CommandLine.IVersionProvider {
    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("/org/mflowhpc/version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }

    @Override public String[] getVersion() {
        return new String[] {"mflow-hpc " + get(), "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
