package awsquery

import (
	"iamd/iamerr"
	"iamd/server"
)

// SimulatePrincipalPolicy and SimulateCustomPolicy (spec §7).

func init() {
	registerAction("SimulatePrincipalPolicy", func(r *Request) (any, error) { return simulate(r, true) })
	registerAction("SimulateCustomPolicy", func(r *Request) (any, error) { return simulate(r, false) })
}

var (
	contextKeyTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList",
		"ip", "ipList", "binary", "binaryList", "date", "dateList"}
	actionNameRule  = Rule{Min: 3, Max: 128}
	resourceArnRule = Rule{Min: 1, Max: 2048}
)

// simulationRequest reads the parameters both simulations share.
func simulationRequest(p *Params, principal bool) (server.SimulateRequest, error) {
	var req server.SimulateRequest
	if principal {
		req.PolicySourceArn = p.String("PolicySourceArn", PolicyArnRule.Req())
	}
	req.PolicyInputList, _ = p.List("PolicyInputList", PolicyDocumentRule, 0, !principal)
	req.PermissionsBoundary, _ = p.List("PermissionsBoundaryPolicyInputList", PolicyDocumentRule, 0, false)
	req.ActionNames, _ = p.List("ActionNames", actionNameRule, 0, true)
	req.ResourceArns, _ = p.List("ResourceArns", resourceArnRule, 0, false)
	req.CallerArn = p.String("CallerArn", Rule{Min: 1, Max: 2048})
	entries, _ := p.Members("ContextEntries", 0, false)
	for _, e := range entries {
		ce := server.ContextEntry{
			Key:  e.String("ContextKeyName", Rule{Min: 5, Max: 256}),
			Type: e.String("ContextKeyType", Rule{Enum: contextKeyTypes}),
		}
		ce.Values, _ = e.List("ContextKeyValues", Rule{}, 0, false)
		req.ContextEntries = append(req.ContextEntries, ce)
	}
	req.Marker, req.MaxItems = p.Page()
	if err := p.Err(); err != nil {
		return req, err
	}
	for _, unsupported := range []string{"ResourcePolicy", "ResourceOwner", "ResourceHandlingOption"} {
		if p.Has(unsupported) {
			return req, errorWithCode(iamerr.Invalid, "InvalidInput", "%s is not supported: iamd has no resource-based policies.", unsupported)
		}
	}
	return req, nil
}

type positionXML struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type statementXML struct {
	SourcePolicyID   string      `xml:"SourcePolicyId"`
	SourcePolicyType string      `xml:"SourcePolicyType"`
	StartPosition    positionXML `xml:"StartPosition"`
	EndPosition      positionXML `xml:"EndPosition"`
}

type resourceResultXML struct {
	EvalResourceName     string             `xml:"EvalResourceName"`
	EvalResourceDecision string             `xml:"EvalResourceDecision"`
	MatchedStatements    List[statementXML] `xml:"MatchedStatements"`
	MissingContextValues List[string]       `xml:"MissingContextValues"`
}

type evaluationResultXML struct {
	EvalActionName          string                  `xml:"EvalActionName"`
	EvalResourceName        string                  `xml:"EvalResourceName"`
	EvalDecision            string                  `xml:"EvalDecision"`
	MatchedStatements       List[statementXML]      `xml:"MatchedStatements"`
	MissingContextValues    List[string]            `xml:"MissingContextValues"`
	ResourceSpecificResults List[resourceResultXML] `xml:"ResourceSpecificResults,omitempty"`
}

type simulateResult struct {
	EvaluationResults List[evaluationResultXML] `xml:"EvaluationResults"`
	IsTruncated       bool                      `xml:"IsTruncated"`
	Marker            string                    `xml:"Marker,omitempty"`
}

func simulate(r *Request, principal bool) (any, error) {
	req, err := simulationRequest(r.Params, principal)
	if err != nil {
		return nil, err
	}
	var page server.Page[*server.EvaluationResult]
	if principal {
		page, err = r.Node.SimulatePrincipalPolicy(r.Caller, req)
	} else {
		page, err = r.Node.SimulateCustomPolicy(r.Caller, req)
	}
	if err != nil {
		return nil, err
	}
	out := simulateResult{EvaluationResults: make(List[evaluationResultXML], len(page.Items)),
		IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, res := range page.Items {
		x := evaluationResultXML{EvalActionName: res.ActionName, EvalResourceName: res.ResourceName,
			EvalDecision: res.Decision, MatchedStatements: statementsOf(res.MatchedStatements),
			MissingContextValues: List[string](res.MissingContextValues)}
		if res.ResourceSpecific {
			x.ResourceSpecificResults = List[resourceResultXML]{{EvalResourceName: res.ResourceName,
				EvalResourceDecision: res.Decision, MatchedStatements: x.MatchedStatements,
				MissingContextValues: x.MissingContextValues}}
		}
		out.EvaluationResults[i] = x
	}
	return out, nil
}

func statementsOf(list []server.SimulatedStatement) List[statementXML] {
	out := make(List[statementXML], len(list))
	for i, s := range list {
		out[i] = statementXML{SourcePolicyID: s.SourcePolicyID, SourcePolicyType: s.SourcePolicyType,
			StartPosition: positionXML{s.Start.Line, s.Start.Column}, EndPosition: positionXML{s.End.Line, s.End.Column}}
	}
	return out
}
