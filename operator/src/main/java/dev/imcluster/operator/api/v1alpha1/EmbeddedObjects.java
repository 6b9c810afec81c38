package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;

/**
 * Schema stand-in for lists of Kubernetes objects embedded as they are (containers, volumes): an array of objects
 * with {@code x-kubernetes-preserve-unknown-fields}. Their full core/v1 schemas would make the CRD several
 * megabytes (five pod templates, two container lists each), past what {@code kubectl apply} can store; the operator
 * checks what it relies on ({@code SpecValidation}) and the API server validates the rendered pod.
 */
public class EmbeddedObjects extends ArrayList<JsonNode> {
}
