<powershell>
# phoenix boot script for Windows Server (IIS): installs this tier's current release from the release store as an
# IIS site and checks it answers /version. Rendered by userdata/render.ts for one environment and tier. Any failure
# exits non-zero, marks the instance unhealthy and ships the boot log, so the Auto Scaling group replaces it.
# No release published yet (S3 answers NoSuchKey for the manifest, and only that) is not a failure: the site then
# serves a placeholder whose /version is the placeholder version, healthy and quiet, until the first release.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Environment = '__PHOENIX_ENVIRONMENT__'
$Tier = '__PHOENIX_TIER__'
$Port = [int]'__PHOENIX_PORT__'
$Bucket = '__PHOENIX_BUCKET__'
$ManifestKey = '__PHOENIX_MANIFEST_KEY__'
$LogGroup = '__PHOENIX_LOG_GROUP__'
$PlaceholderVersion = '__PHOENIX_PLACEHOLDER_VERSION__'
$AppRoot = "C:\phoenix\$Tier"
$BootLog = 'C:\ProgramData\phoenix\boot.log'
$Imds = 'http://169.254.169.254/latest'

New-Item -ItemType Directory -Force -Path (Split-Path $BootLog) | Out-Null

function Write-BootLog([string]$Message) {
  $line = '{0} phoenix-boot {1}/{2}: {3}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Environment, $Tier, $Message
  Add-Content -Path $BootLog -Value $line
  Write-Output $line
}

# True when an S3 error (anywhere in the exception chain) is NoSuchKey: the manifest does not exist.
function Test-NoSuchKey([System.Management.Automation.ErrorRecord]$ErrorRecord) {
  $e = $ErrorRecord.Exception
  while ($null -ne $e) {
    if ($e.PSObject.Properties['ErrorCode'] -and $e.ErrorCode -eq 'NoSuchKey') { return $true }
    $e = $e.InnerException
  }
  return $false
}

$Step = 'starting'
$InstanceId = 'unknown'
$Version = '?'
$ExitCode = 0
try {
  $Step = 'reading instance metadata (IMDSv2)'
  $Token = Invoke-RestMethod -Method Put -Uri "$Imds/api/token" -TimeoutSec 5 `
    -Headers @{ 'X-aws-ec2-metadata-token-ttl-seconds' = '21600' }
  $MetadataHeaders = @{ 'X-aws-ec2-metadata-token' = $Token }
  $InstanceId = Invoke-RestMethod -Uri "$Imds/meta-data/instance-id" -Headers $MetadataHeaders -TimeoutSec 5
  $Region = Invoke-RestMethod -Uri "$Imds/meta-data/placement/region" -Headers $MetadataHeaders -TimeoutSec 5
  Import-Module AWSPowerShell -ErrorAction SilentlyContinue
  Set-DefaultAWSRegion -Region $Region
  Write-BootLog "instance $InstanceId in $Region"

  $Step = 'reading the release manifest'
  $Work = Join-Path $env:TEMP ('phoenix-' + [guid]::NewGuid())
  New-Item -ItemType Directory -Force -Path $Work | Out-Null
  $Released = $true
  try {
    Read-S3Object -BucketName $Bucket -Key $ManifestKey -File "$Work\manifest.json" | Out-Null
  } catch {
    # Only NoSuchKey means nothing is published yet; a denial, a throttle or any other error fails the boot.
    if (-not (Test-NoSuchKey $_)) { throw }
    $Released = $false
  }
  if ($Released) {
    $Manifest = Get-Content "$Work\manifest.json" -Raw | ConvertFrom-Json
    $Version = [string]$Manifest.version
    if ($Version -notmatch '^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$') {
      throw "manifest version '$Version' is not a semantic version"
    }
    $ArtifactKey = [string]$Manifest.artifacts.$Tier
    if ([string]::IsNullOrWhiteSpace($ArtifactKey)) { throw "manifest has no artifact for tier $Tier" }
    Write-BootLog "manifest: version $Version, artifact $ArtifactKey"

    $Step = "downloading $ArtifactKey"
    $Zip = "$Work\artifact.zip"
    Read-S3Object -BucketName $Bucket -Key $ArtifactKey -File $Zip | Out-Null

    $Step = "verifying $ArtifactKey"
    $Expected = (Get-S3ObjectMetadata -BucketName $Bucket -Key $ArtifactKey -ChecksumMode ENABLED).ChecksumSHA256
    if ([string]::IsNullOrEmpty($Expected)) { throw "$ArtifactKey has no SHA-256 checksum; publish it with phoenix release" }
    $Sha = [System.Security.Cryptography.SHA256]::Create()
    $Stream = [System.IO.File]::OpenRead($Zip)
    try { $Actual = [Convert]::ToBase64String($Sha.ComputeHash($Stream)) } finally { $Stream.Dispose() }
    if ($Actual -ne $Expected) { throw "checksum mismatch for ${ArtifactKey}: expected $Expected, got $Actual" }
    Write-BootLog "artifact verified (sha256 $Actual)"

    $Step = "installing $Version"
    $ReleaseDir = "$AppRoot\releases\$Version"
    if (Test-Path $ReleaseDir) { Remove-Item -Recurse -Force $ReleaseDir }
    Expand-Archive -Path $Zip -DestinationPath $ReleaseDir -Force
    if (-not (Test-Path "$ReleaseDir\version")) { Set-Content -Path "$ReleaseDir\version" -Value $Version -NoNewline }
    Write-BootLog "installed into $ReleaseDir"
  } else {
    $Step = 'serving the no-release placeholder'
    $Version = $PlaceholderVersion
    Write-BootLog "no release published yet (s3://$Bucket/$ManifestKey does not exist): serving the placeholder $Version until the first release replaces this instance"
    $ReleaseDir = "$AppRoot\placeholder"
    if (Test-Path $ReleaseDir) { Remove-Item -Recurse -Force $ReleaseDir }
    New-Item -ItemType Directory -Force -Path $ReleaseDir | Out-Null
    Set-Content -Path "$ReleaseDir\version" -Value $Version -NoNewline
    Set-Content -Path "$ReleaseDir\index.html" -Value 'no release yet: publish one with npx phoenix release'
    # The extensionless version file is served as text, as the sample app's web.config does.
    Set-Content -Path "$ReleaseDir\web.config" -Value ('<?xml version="1.0" encoding="UTF-8"?><configuration><system.webServer>' +
      '<staticContent><mimeMap fileExtension="." mimeType="text/plain" /></staticContent></system.webServer></configuration>')
  }

  $Step = 'starting the IIS site'
  Install-WindowsFeature -Name Web-Server | Out-Null
  Import-Module WebAdministration
  if (Get-Website -Name 'Default Web Site' -ErrorAction SilentlyContinue) { Remove-Website -Name 'Default Web Site' }
  $Site = "phoenix-$Tier"
  if (Get-Website -Name $Site -ErrorAction SilentlyContinue) { Remove-Website -Name $Site }
  New-Website -Name $Site -Port $Port -PhysicalPath $ReleaseDir -Force | Out-Null
  Start-Website -Name $Site
  New-NetFirewallRule -DisplayName "phoenix $Tier" -Direction Inbound -Protocol TCP -LocalPort $Port -Action Allow | Out-Null

  $Step = 'checking /version'
  $Answered = $false
  for ($i = 0; $i -lt 60 -and -not $Answered; $i++) {
    try {
      $Body = (Invoke-WebRequest -Uri "http://127.0.0.1:$Port/version" -UseBasicParsing -TimeoutSec 2).Content
      if ([string]$Body -like "*$Version*") { $Answered = $true; Write-BootLog "/version answers $Body" }
    } catch { Start-Sleep -Seconds 2 }
  }
  if (-not $Answered) { throw "$Site did not answer /version with $Version on port $Port within 120 seconds" }
  if ($Released) { Write-BootLog "boot complete: $Tier $Version serving on port $Port" }
  else { Write-BootLog "boot complete: $Tier serves the no-release placeholder ($Version) on port $Port; publish a release to replace it" }
} catch {
  $ExitCode = 1
  Write-BootLog "FAILED during ${Step}: $($_.Exception.Message); marking $InstanceId unhealthy so the group replaces it"
  if ($InstanceId -ne 'unknown') {
    try { Set-ASInstanceHealth -InstanceId $InstanceId -HealthStatus Unhealthy -ShouldRespectGracePeriod $false }
    catch { Write-BootLog 'could not mark the instance unhealthy; the load balancer health check will fail it instead' }
  }
} finally {
  # Best effort: the same lines are in the EC2Launch log and on the console output.
  try {
    try { New-CWLLogStream -LogGroupName $LogGroup -LogStreamName $InstanceId } catch { }
    $LogEvent = New-Object Amazon.CloudWatchLogs.Model.InputLogEvent
    $LogEvent.Timestamp = (Get-Date).ToUniversalTime()
    $LogEvent.Message = Get-Content $BootLog -Raw
    Write-CWLLogEvent -LogGroupName $LogGroup -LogStreamName $InstanceId -LogEvent $LogEvent | Out-Null
  } catch { Write-Output "could not ship the boot log to ${LogGroup}: $($_.Exception.Message)" }
}
exit $ExitCode
</powershell>
