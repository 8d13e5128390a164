// Loads an ontology document with the OWL API, the way Protégé does, and reports what it found.
//
// Why Java: the issue is about what the OWL API (Protégé's library) makes of our files, so the
// check must be the OWL API itself, not rdflib. The tests run this single-file program with
// `java -cp HermiT.jar OwlApiCheck.java ...` (JDK 11+ source launcher): the OWL API 3.4.3 classes
// come from the HermiT jar that owlready2 ships, so nothing third-party is copied into the repo.
//
// Usage: OwlApiCheck <ontology file> [<catalog-v001.xml>]
// Prints one "key<TAB>value" line per fact; missing imports are reported, never fetched.
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.util.SimpleIRIMapper;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class OwlApiCheck {
    public static void main(String[] args) throws Exception {
        File document = new File(args[0]);
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        if (args.length > 1) {
            mapCatalog(manager, new File(args[1]));
        }
        final List<String> missing = new ArrayList<String>();
        manager.addMissingImportListener(new MissingImportListener() {
            public void importMissing(MissingImportEvent event) {
                missing.add(event.getImportedOntologyURI().toString());
            }
        });
        OWLOntologyLoaderConfiguration configuration = new OWLOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(
                new FileDocumentSource(document), configuration);

        int objectPropertyAssertions = 0;
        int annotationAssertions = 0;
        int classes = 0;
        for (OWLOntology loaded : ontology.getImportsClosure()) {
            objectPropertyAssertions += loaded.getAxioms(AxiomType.OBJECT_PROPERTY_ASSERTION).size();
            annotationAssertions += loaded.getAxioms(AxiomType.ANNOTATION_ASSERTION).size();
        }
        classes = ontology.getClassesInSignature(true).size();
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);

        OWLOntologyID id = ontology.getOntologyID();
        System.out.println("ontology_iri\t" + (id.getOntologyIRI() == null ? "" : id.getOntologyIRI()));
        System.out.println("version_iri\t" + (id.getVersionIRI() == null ? "" : id.getVersionIRI()));
        System.out.println("ontologies\t" + ontology.getImportsClosure().size());
        System.out.println("imports_declared\t" + ontology.getImportsDeclarations().size());
        System.out.println("classes\t" + classes);
        System.out.println("object_property_assertions\t" + objectPropertyAssertions);
        System.out.println("annotation_assertions\t" + annotationAssertions);
        System.out.println("profile_violations\t" + report.getViolations().size());
        for (String iri : missing) {
            System.out.println("missing_import\t" + iri);
        }
        // Every relation between individuals, so a test can compare them with the triples.
        for (OWLOntology loaded : ontology.getImportsClosure()) {
            for (OWLObjectPropertyAssertionAxiom axiom : loaded.getAxioms(AxiomType.OBJECT_PROPERTY_ASSERTION)) {
                System.out.println("assertion\t" + axiom.getSubject() + "\t" + axiom.getProperty()
                        + "\t" + axiom.getObject());
            }
        }
        int shown = 0;
        for (OWLProfileViolation violation : report.getViolations()) {
            if (shown++ >= 20) {
                break;
            }
            System.out.println("violation\t" + violation.toString().replace('\n', ' '));
        }
    }

    // Reads the <uri name=".." uri=".."/> entries of an OASIS XML catalog, as Protégé does.
    private static void mapCatalog(OWLOntologyManager manager, File catalog) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList entries = factory.newDocumentBuilder().parse(catalog)
                .getElementsByTagNameNS("*", "uri");
        for (int i = 0; i < entries.getLength(); i++) {
            Element entry = (Element) entries.item(i);
            File target = new File(catalog.getParentFile(), entry.getAttribute("uri"));
            manager.addIRIMapper(new SimpleIRIMapper(IRI.create(entry.getAttribute("name")),
                    IRI.create(target.getAbsoluteFile().toURI())));
        }
    }
}
